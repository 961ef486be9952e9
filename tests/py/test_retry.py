"""A reply lost after the commit: every write is retried with its request id and applies once.

A real TCP proxy (wire.Proxy) lets the write reach the server and commit, then closes the
client's connection instead of passing the reply on. The wrapper sends the call again after
the lost connection, with the same request id, and must return what the first call did,
leaving exactly what one call leaves (one new version, one audit row, one checkpoint, ...):
each write is also made once, with nothing lost, on a twin flow, and the two must match.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import asyncpg
import pytest
from crewai_flows import new_persistence
from wire import Proxy, server_address

from flowdocs import new_context, new_doc
from pgflowstate import (
    CorruptionReport,
    FlowState,
    FlowStateManager,
    FlowStateStore,
    create_pool,
)
from pgflowstate.crewai import PostgresFlowPersistence
from pgflowstate.retry import connection_lost


@pytest.fixture
async def proxy(admin_dsn):
    async with Proxy(await server_address(admin_dsn)) as running:
        yield running


@pytest.fixture
async def proxied_pool(app_dsn, proxy):
    """A create_pool() pool whose one connection goes through the proxy."""
    pool = await create_pool(proxy.dsn(app_dsn), min_size=1, max_size=1)
    yield pool
    await pool.close()


async def footprint(admin_dsn: str, flow_id: uuid.UUID) -> dict[str, int]:
    """What writes leave of a flow: its version and its rows in every table."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        row = await conn.fetchrow("""
            select coalesce((select flow_version from flowstate.flows where flow_id = $1), 0) as version,
                   (select count(*) from flowstate.audit_log where flow_id = $1) as audit_rows,
                   (select count(*) from flowstate.checkpoints where flow_id = $1) as checkpoints,
                   (select count(*) from flowstate.quarantine where flow_id = $1) as quarantined,
                   (select count(*) from flowstate.pending_feedback where flow_id = $1) as paused,
                   (select count(*) from flowstate.request_ids where flow_id = $1) as request_ids""", flow_id)
        return dict(row)
    finally:
        await conn.close()


def growth(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {key: after[key] - before[key] for key in before}


async def remembered(admin_dsn: str, flow_id: uuid.UUID) -> Any:
    """The result the database remembered for the flow's newest request id."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        return await conn.fetchval(
            "select result::text from flowstate.request_ids where flow_id = $1 order by created_at desc limit 1",
            flow_id)
    finally:
        await conn.close()


def as_remembered(result: Any, text: str) -> Any:
    """The wrapper's typed result as the database remembered it (so the two compare)."""
    value = json.loads(text)
    if isinstance(result, FlowState):  # saves do not echo state_data: the caller's is put back
        return FlowState.model_validate({**value, "state_data": result.state_data})
    if isinstance(result, CorruptionReport):
        return CorruptionReport.model_validate(value)
    if isinstance(result, list):
        return [as_remembered(result[0], text)]
    return uuid.UUID(value)


# -- every write of FlowStateStore ---------------------------------------------------------


@dataclass
class Write:
    fragment: str  # SQL that names the statement whose reply is lost
    setup: Callable[[FlowStateStore, uuid.UUID], Awaitable[Any]]
    call: Callable[[FlowStateStore, uuid.UUID, Any], Awaitable[Any]]


async def nothing(store: FlowStateStore, flow_id: uuid.UUID) -> None:
    return None


async def created(store: FlowStateStore, flow_id: uuid.UUID) -> None:
    await store.save_state(flow_id, new_doc(flow_id, n=0))


async def with_checkpoint(store: FlowStateStore, flow_id: uuid.UUID) -> uuid.UUID:
    await created(store, flow_id)
    checkpoint = await store.create_checkpoint(flow_id, label="before")
    await store.save_state(flow_id, new_doc(flow_id, n=1), version=1)
    return checkpoint


async def failed_with_checkpoint(store: FlowStateStore, flow_id: uuid.UUID) -> None:
    await created(store, flow_id)
    await store.create_checkpoint(flow_id, label="before")
    await store.transition_phase(flow_id, "failed")


WRITES = {
    "save_state (create)": Write(
        "flow_save_state(", nothing, lambda s, f, _: s.save_state(f, new_doc(f, n=1))),
    "save_state (version)": Write(
        "flow_save_state(", created, lambda s, f, _: s.save_state(f, new_doc(f, n=1), version=1)),
    "put_state": Write(
        "flow_put_state(", created, lambda s, f, _: s.put_state(f, new_doc(f, n=1), label="put")),
    "transition_phase": Write(
        "flow_transition_phase(", created, lambda s, f, _: s.transition_phase(f, "field_mapping")),
    "create_checkpoint": Write(
        "flow_create_checkpoint(", created, lambda s, f, _: s.create_checkpoint(f, label="retried")),
    "recover_from_checkpoint": Write(
        "flow_recover_from_checkpoint(", with_checkpoint, lambda s, f, cp: s.recover_from_checkpoint(f, cp)),
    "recover_failed": Write(
        "flow_recover_failed(", failed_with_checkpoint, lambda s, f, _: s.recover_failed(f)),
    "handle_corrupted": Write(
        "flow_handle_corrupted(", created, lambda s, f, _: s.handle_corrupted(f)),
    "save_states": Write(
        "flow_save_states(", created, lambda s, f, _: s.save_states([(f, new_doc(f, n=1), 1)])),
}


@pytest.mark.parametrize("name", WRITES)
async def test_a_write_whose_reply_is_lost_is_retried_and_applies_once(name, admin_dsn, app_pool, proxy,
                                                                        proxied_pool):
    write = WRITES[name]
    context = new_context()
    direct = FlowStateStore(app_pool, context)
    retrying = FlowStateStore(proxied_pool, context, retry_backoff=0)
    twin, flow_id = uuid.uuid4(), uuid.uuid4()
    twin_setup, setup = await write.setup(direct, twin), await write.setup(direct, flow_id)
    twin_before, before = await footprint(admin_dsn, twin), await footprint(admin_dsn, flow_id)

    await write.call(direct, twin, twin_setup)  # once, with nothing lost
    proxy.cut_after(write.fragment)
    result = await write.call(retrying, flow_id, setup)

    assert proxy.cuts == 1, "the reply was lost"
    once = growth(twin_before, await footprint(admin_dsn, twin))
    assert growth(before, await footprint(admin_dsn, flow_id)) == once
    assert once["request_ids"] == 1
    assert result == as_remembered(result, await remembered(admin_dsn, flow_id)), "the first call's result"


async def test_without_retries_the_lost_connection_is_raised_after_the_write_committed(admin_dsn, app_pool,
                                                                                        proxy, proxied_pool):
    """Why the retry matters: the caller sees an error for a write that committed."""
    context = new_context()
    flow_id = uuid.uuid4()
    await created(FlowStateStore(app_pool, context), flow_id)
    proxy.cut_after("flow_save_state(")
    with pytest.raises(Exception) as caught:
        await FlowStateStore(proxied_pool, context, retries=0).save_state(flow_id, new_doc(flow_id, n=1), version=1)
    assert connection_lost(caught.value)
    assert (await footprint(admin_dsn, flow_id))["version"] == 2


async def test_update_with_retry_after_a_lost_reply_increments_once(admin_dsn, app_pool, proxy, proxied_pool):
    context = new_context()
    flow_id = uuid.uuid4()
    await FlowStateStore(app_pool, context).save_state(flow_id, new_doc(flow_id, counter=0))
    manager = FlowStateManager(FlowStateStore(proxied_pool, context, retry_backoff=0))

    def increment(state_data: dict) -> None:
        state_data["counter"] += 1

    proxy.cut_after("flow_save_state(")
    updated = await manager.update_with_retry(flow_id, increment)

    assert proxy.cuts == 1
    assert updated.flow_version == 2 and updated.state_data == {"counter": 1}
    assert (await FlowStateStore(app_pool, context).load_state(flow_id)).state_data == {"counter": 1}
    assert (await footprint(admin_dsn, flow_id))["audit_rows"] == 2


async def test_a_load_is_read_again_after_a_lost_connection(app_pool, proxy, proxied_pool):
    context = new_context()
    flow_id = uuid.uuid4()
    saved = await FlowStateStore(app_pool, context).save_state(flow_id, new_doc(flow_id, n=1))
    proxy.cut_after("flow_load_state_parts(")
    loaded = await FlowStateStore(proxied_pool, context, retry_backoff=0).load_state(flow_id)
    assert proxy.cuts == 1 and loaded == saved


async def test_a_plain_asyncpg_pool_is_retried_safely_too(admin_dsn, app_dsn, app_pool, proxy):
    """A plain pool reported committed writes as errors; with request ids the retry is harmless."""
    context = new_context()
    flow_id = uuid.uuid4()
    await created(FlowStateStore(app_pool, context), flow_id)
    pool = await asyncpg.create_pool(proxy.dsn(app_dsn), min_size=1, max_size=1)
    try:
        proxy.cut_after("flow_save_state(")
        saved = await FlowStateStore(pool, context, retry_backoff=0).save_state(
            flow_id, new_doc(flow_id, n=1), version=1)
    finally:
        await pool.close()
    assert proxy.cuts == 1 and saved.flow_version == 2
    assert (await footprint(admin_dsn, flow_id))["audit_rows"] == 2


@pytest.mark.parametrize("call, phase", [
    ("flowstate.flow_save_state($1, $2::jsonb, 1, $3::jsonb, $4)", "data_import"),
    # No version check: the retry's fast path still compares and sets on the version it read.
    ("flowstate.flow_put_state($1, $2::jsonb, null, $3::jsonb, p_request_id => $4)", "data_import"),
    # The slow path (a phase change) looks the request id up only once it holds the row lock.
    ("flowstate.flow_save_state($1, $2::jsonb, 1, $3::jsonb, $4)", "field_mapping"),
    ("flowstate.flow_record_step($1, $2::jsonb ->> 'current_phase', $2::jsonb -> 'state_data', 'step', $3::jsonb,"
     " p_request_id => $4)", "field_mapping"),
    ("flowstate.flow_transition_phase($1, $2::jsonb ->> 'current_phase', 1, $3::jsonb, $4)", "field_mapping"),
])
async def test_a_retry_racing_the_first_call_waits_for_it(admin_dsn, app_dsn, call, phase):
    """The server may still be running the first call when the retry arrives: the retry waits
    for it and returns its result; had the first rolled back, the retry writes."""
    context = new_context()
    store_pool = await create_pool(app_dsn, min_size=1, max_size=1)
    first = await asyncpg.connect(app_dsn)
    retry = await asyncpg.connect(app_dsn)
    try:
        store = FlowStateStore(store_pool, context)
        for outcome in ("commit", "rollback"):
            flow_id, request_id = uuid.uuid4(), uuid.uuid4()
            await created(store, flow_id)
            save = (f"select {call}::text",
                    flow_id, json.dumps(new_doc(flow_id, n=1, phase=phase,
                                                completed=("data_import",) if phase != "data_import" else ())),
                    json.dumps(context.jsonb()), request_id)
            transaction = first.transaction()
            await transaction.start()
            answer = await first.fetchval(*save)
            retried = asyncio.ensure_future(retry.fetchval(*save))
            await blocked(admin_dsn, retry)
            await (transaction.commit() if outcome == "commit" else transaction.rollback())
            again = await asyncio.wait_for(retried, 10)
            assert json.loads(again)["flow_version"] == 2
            if outcome == "commit":
                assert again == answer
            assert (await footprint(admin_dsn, flow_id))["audit_rows"] == 2
    finally:
        await first.close()
        await retry.close()
        await store_pool.close()


async def blocked(admin_dsn: str, conn: asyncpg.Connection) -> None:
    """Wait until ``conn``'s statement waits for a lock (polling the server, 10 s at most)."""
    pid = conn.get_server_pid()
    watcher = await asyncpg.connect(admin_dsn)
    try:
        for _ in range(1000):
            if await watcher.fetchval("select cardinality(pg_blocking_pids($1)) > 0", pid):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the second call never waited")
    finally:
        await watcher.close()


@pytest.mark.parametrize("error, lost", [
    (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"), True),
    (ConnectionResetError(104, "Connection reset by peer"), True),
    (asyncpg.InterfaceError("cannot perform operation: another operation is in progress"), True),
    (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
    (asyncpg.InterfaceError("pool is closing"), False),
    (asyncpg.UniqueViolationError("duplicate key"), False),
    (ValueError("bad"), False),
])
def test_only_a_lost_connection_counts_as_one(error, lost):
    assert connection_lost(error) is lost


# -- the CrewAI backend ---------------------------------------------------------------------


def feedback(flow_uuid: str):
    from crewai.flow.async_feedback.types import PendingFeedbackContext

    return PendingFeedbackContext(flow_id=flow_uuid, flow_class="Flow", method_name="review",
                                  method_output="draft", message="ok?")


def started(persistence, flow_uuid: str) -> None:
    persistence.save_state(flow_uuid, "start", {"id": flow_uuid, "n": 0})


def paused(persistence, flow_uuid: str) -> None:
    persistence.save_pending_feedback(flow_uuid, feedback(flow_uuid), {"id": flow_uuid, "n": 0})


def failed_with_a_checkpoint(persistence, flow_uuid: str) -> None:
    started(persistence, flow_uuid)
    persistence.create_checkpoint(flow_uuid, "start")
    persistence.save_state(flow_uuid, "failed", {"id": flow_uuid, "n": 1})


CREWAI_WRITES = {  # (SQL named by the statement, set-up, the write)
    "save_state": ("flow_record_step(", started, lambda p, f: p.save_state(f, "step", {"id": f, "n": 1})),
    "save_pending_feedback": ("flow_record_step(", started,
                              lambda p, f: p.save_pending_feedback(f, feedback(f), {"id": f, "n": 1})),
    "clear_pending_feedback": ("flow_clear_pending_feedback(", paused, lambda p, f: p.clear_pending_feedback(f)),
    "create_checkpoint": ("flow_create_checkpoint(", started, lambda p, f: p.create_checkpoint(f, "retried")),
    "recover_failed": ("flow_recover_failed(", failed_with_a_checkpoint, lambda p, f: p.recover_failed(f)),
}


@pytest.mark.parametrize("name", CREWAI_WRITES)
async def test_a_crewai_write_whose_reply_is_lost_is_retried_and_applies_once(name, admin_dsn, app_dsn, proxy):
    fragment, setup, write = CREWAI_WRITES[name]
    direct = new_persistence(app_dsn)
    retrying = PostgresFlowPersistence.model_validate(
        {**direct.model_dump(), "dsn": proxy.dsn(app_dsn), "retry_backoff": 0})
    twin, flow_uuid = f"twin-{uuid.uuid4()}", f"run-{uuid.uuid4()}"
    try:
        for flow in (twin, flow_uuid):
            await asyncio.to_thread(setup, direct, flow)
        twin_id, flow_id = direct.flow_id(twin), direct.flow_id(flow_uuid)
        twin_before, before = await footprint(admin_dsn, twin_id), await footprint(admin_dsn, flow_id)

        await asyncio.to_thread(write, direct, twin)
        # Connected (and the schema checked, whose query names flow_record_step) before the cut.
        await asyncio.to_thread(retrying.init_db)
        proxy.cut_after(fragment)
        await asyncio.to_thread(write, retrying, flow_uuid)

        assert proxy.cuts == 1, "the reply was lost"
        once = growth(twin_before, await footprint(admin_dsn, twin_id))
        assert growth(before, await footprint(admin_dsn, flow_id)) == once
        assert once["request_ids"] == 1
    finally:  # in a thread: the proxy, on this loop, must keep running while they close
        await asyncio.to_thread(direct.close)
        await asyncio.to_thread(retrying.close)
