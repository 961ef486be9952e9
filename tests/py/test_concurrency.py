"""Concurrent writers, retries, and the one-round-trip promise measured on the wire."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from flowdocs import new_context, new_doc
from wire import Proxy, server_address
from pgflowstate import (
    ConcurrentModificationError,
    FlowNotFoundError,
    FlowStateManager,
    FlowStateRecovery,
    FlowStateStore,
    create_pool,
)

WRITERS, INCREMENTS = 16, 10


async def test_sixteen_concurrent_writers_lose_no_update(app_dsn):
    pool = await create_pool(app_dsn, min_size=WRITERS, max_size=WRITERS)
    try:
        manager = FlowStateManager(FlowStateStore(pool, new_context()))
        flow_id = uuid.uuid4()
        await manager.save(flow_id, new_doc(flow_id, counter=0))
        attempts = 0

        def increment(state_data: dict) -> None:
            nonlocal attempts
            attempts += 1
            state_data["counter"] += 1

        async def writer() -> None:
            for _ in range(INCREMENTS):
                await manager.update_with_retry(flow_id, increment, retries=200)

        await asyncio.gather(*(writer() for _ in range(WRITERS)))

        final = await manager.store.load_state(flow_id)
        saves = WRITERS * INCREMENTS
        assert final.state_data["counter"] == saves
        assert final.flow_version == 1 + saves
        assert attempts > saves, "no writer ever conflicted: the race was not exercised"
    finally:
        await pool.close()


async def test_sixteen_concurrent_puts_each_apply_once_and_are_audited_once(app_dsn):
    # A put reads the flow, then writes it and its audit row compare-and-set on the version
    # read; one overtaken in between takes the locking path. Every put still applies, once.
    pool = await create_pool(app_dsn, min_size=WRITERS, max_size=WRITERS)
    try:
        store = FlowStateStore(pool, new_context())
        flow_id = uuid.uuid4()
        await store.put_state(flow_id, new_doc(flow_id, by=-1), label="first")

        async def writer(n: int) -> None:
            for i in range(INCREMENTS):
                await store.put_state(flow_id, new_doc(flow_id, by=n, i=i), label=f"w{n}.{i}")

        await asyncio.gather(*(writer(n) for n in range(WRITERS)))

        puts = WRITERS * INCREMENTS
        assert (await store.load_state(flow_id)).flow_version == 1 + puts
        history = await store.history(flow_id)
        assert [(e.old_version, e.new_version) for e in history] == [(None, 1)] + [(v, v + 1) for v in range(1, 1 + puts)]
        assert sorted(e.label for e in history[1:]) == sorted(f"w{n}.{i}" for n in range(WRITERS) for i in range(INCREMENTS))
    finally:
        await pool.close()


async def test_two_saves_of_the_same_version_one_wins(app_pool, store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, by="nobody"))
    other = FlowStateStore(app_pool, store.context)

    results = await asyncio.gather(
        store.save_state(flow_id, new_doc(flow_id, by="a"), version=1),
        other.save_state(flow_id, new_doc(flow_id, by="b"), version=1),
        return_exceptions=True,
    )

    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], ConcurrentModificationError)
    assert (lost[0].expected, lost[0].actual) == (1, 2)
    assert (await store.load_state(flow_id)).state_data == won[0].state_data


@pytest.mark.parametrize("write", ["save", "put"])
async def test_a_write_that_loses_its_compare_and_set_to_a_concurrent_one_is_stale_or_goes_after_it(
        write, store, admin_dsn):
    """A save's or put's fast path reads the version without a lock; when another write commits
    before its compare-and-set, a save must raise FS002 and write nothing, and a put must write
    after it. Both used to report success with the document they meant to write (the old
    version), having written nothing."""
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, by="creator"))
    late_doc = new_doc(flow_id, by="late")
    dba = await asyncpg.connect(admin_dsn)
    try:
        async with dba.transaction():
            await dba.execute("""update flowstate.flows set state_data = '{"by": "dba"}' where flow_id = $1""", flow_id)
            late = asyncio.ensure_future(store.save_state(flow_id, late_doc, version=1) if write == "save"
                                         else store.put_state(flow_id, late_doc, label="late"))
            for _ in range(1000):  # until the save waits for the DBA's row lock
                if await dba.fetchval("select exists (select from pg_stat_activity a"
                                      " where pg_backend_pid() = any (pg_blocking_pids(a.pid)))"):
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the save never waited for the row lock")
        if write == "save":
            with pytest.raises(ConcurrentModificationError) as stale:
                await asyncio.wait_for(late, 10)
            assert (stale.value.expected, stale.value.actual) == (1, 2)
            expected = (2, {"by": "dba"})
        else:
            assert (await asyncio.wait_for(late, 10)).flow_version == 3
            expected = (3, {"by": "late"})
        stored = await store.load_state(flow_id)
        assert (stored.flow_version, stored.state_data) == expected
        assert await dba.fetchval("select count(*) from flowstate.audit_log where flow_id = $1", flow_id) == expected[0]
    finally:
        await dba.close()


async def test_update_with_retry_gives_up_after_its_retries(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, n=0))
    manager = FlowStateManager(store)
    calls = 0

    async def always_overtaken(state_data: dict) -> dict:
        nonlocal calls
        calls += 1
        await store.put_state(flow_id, new_doc(flow_id, n=-calls))  # someone else writes first
        return {"n": 1}

    with pytest.raises(ConcurrentModificationError):
        await manager.update_with_retry(flow_id, always_overtaken, retries=2)
    assert calls == 3

    with pytest.raises(FlowNotFoundError):
        await manager.update_with_retry(uuid.uuid4(), lambda s: s)

    replaced = await manager.update_with_retry(flow_id, lambda s: {"n": 42})
    assert replaced.state_data == {"n": 42}


# -- one round trip per call, counted on the wire -----------------------------------------


@pytest.fixture
async def wire(admin_dsn):
    async with Proxy(await server_address(admin_dsn)) as proxy:
        yield proxy


def calls_of(store: FlowStateStore, flow_id: uuid.UUID) -> dict:
    doc = new_doc(flow_id, n=1)
    recovery = FlowStateRecovery(store)
    checkpoints = []

    async def create_checkpoint() -> None:
        checkpoints.append(await store.create_checkpoint(flow_id, label="rt"))

    return {
        "save_state (create)": lambda: store.save_state(flow_id, doc),
        "save_state (version)": lambda: store.save_state(flow_id, doc, version=1),
        "save_state (stale, FS002)": lambda: store.save_state(flow_id, doc, version=1),
        "put_state": lambda: store.put_state(flow_id, doc, label="step"),
        "load_state": lambda: store.load_state(flow_id),
        "transition_phase": lambda: store.transition_phase(flow_id, "field_mapping"),
        "validate_state": lambda: store.validate_state(doc),
        "validate_phase_transition": lambda: store.validate_phase_transition(doc, "field_mapping"),
        "create_checkpoint": create_checkpoint,
        "history": lambda: store.history(flow_id, operation="save", limit=10),
        "state_at": lambda: store.state_at(flow_id, 2),
        "diff": lambda: store.diff(flow_id, 1, 3),
        "recover_from_checkpoint": lambda: store.recover_from_checkpoint(flow_id, checkpoints[-1]),
        "recover_failed_flow": lambda: recovery.recover_failed_flow(flow_id),
        "handle_corrupted_state": lambda: recovery.handle_corrupted_state(flow_id),
    }


async def given_back(pool: asyncpg.Pool, call) -> None:
    """``call()``, and the pool's connection given back (the store's lane does that when the
    event loop turns): a reset the pool sends on release is part of the call's cost."""
    try:
        await call()
    finally:
        for _ in range(1000):  # polled: a reset is a round trip through the proxy
            if pool.get_idle_size() == pool.get_size():
                break
            await asyncio.sleep(0.005)
        else:
            raise AssertionError("the pool never got its connection back")


async def test_each_method_is_one_round_trip_on_a_create_pool(app_dsn, wire):
    pool = await create_pool(app_dsn, host="127.0.0.1", port=wire.port, ssl=False,
                             min_size=1, max_size=1)
    try:
        store = FlowStateStore(pool, new_context())
        for name, call in calls_of(store, uuid.uuid4()).items():
            await wire.measure(call)  # a statement's first use prepares it: allowed once
        counts = {name: await wire.measure(lambda call=call: given_back(pool, call))
                  for name, call in calls_of(store, uuid.uuid4()).items()}
        assert counts == {name: 1 for name in counts}
    finally:
        await pool.close()


async def test_a_plain_pool_pays_a_reset_round_trip_that_create_pool_does_not(app_dsn, wire):
    """The control for the test above: the proxy does see asyncpg's reset query."""
    pool = await asyncpg.create_pool(app_dsn, host="127.0.0.1", port=wire.port, ssl=False,
                                     min_size=1, max_size=1)
    try:
        store = FlowStateStore(pool, new_context())
        await store.load_state(uuid.uuid4())
        assert await wire.measure(lambda: given_back(pool, lambda: store.load_state(uuid.uuid4()))) == 2
    finally:
        await pool.close()


@pytest.mark.parametrize("make_pool, kept", [(create_pool, True), (asyncpg.create_pool, False)])
async def test_release_sends_no_reset_query(app_dsn, make_pool, kept):
    pool = await make_pool(app_dsn, min_size=1, max_size=1)
    try:
        pid = await pool.fetchval("select pg_backend_pid()")
        await pool.execute("select set_config('pgflowstate.probe', 'still here', false)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("select pg_backend_pid()") == pid
            probe = await conn.fetchval("select current_setting('pgflowstate.probe', true)")
        # RESET ALL would have cleared it: only a pool that skips the reset keeps it.
        assert (probe == "still here") is kept
    finally:
        await pool.close()
