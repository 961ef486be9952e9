"""Write coalescing: saves made at the same moment go as one batch, with the outcome of one-by-one calls.

The same calls are made twice on fresh flows: one by one, in order, without coalescing, and all
at once (asyncio.gather) with it. Results, errors (class, SQLSTATE, detail, message) and the
flows' final versions and histories must be the same; only the number of statements differs.
A batch whose reply is lost is sent again and applies each of its saves once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest
from wire import Proxy, server_address

from flowdocs import new_context, new_doc
from pgflowstate import FlowState, FlowStateStore, StateError, create_pool
from pgflowstate.coalesce import MAX_BYTES, SPREAD_BYTES

FLOWS = 100


PUT = "put"  # in place of a version: a put, without a version check


def calls(flows: list[uuid.UUID], missing: list[uuid.UUID]) -> list[tuple[uuid.UUID, dict, int | str | None]]:
    """(flow_id, state, version or PUT) saves and puts in call order, refused ones of every kind among them."""
    made = [(f, new_doc(f, step=0), None) for f in flows]                                  # created: v1
    made += [(f, new_doc(f, step=9), None) for f in flows[:5]]                              # FS005 exists
    made += [(f, new_doc(f, step=1), 1) for f in flows[:60]]                                # v2
    made += [(f, new_doc(f, step=9), 1) for f in flows[:10]]                                # FS002 stale
    made += [(f, new_doc(f, step=2, phase="field_mapping", completed=("data_import",)), 2)  # v3, a phase move
             for f in flows[10:30]]
    made += [(f, new_doc(f, step=3, phase="field_mapping", completed=("data_import",)), 3)  # v4, same flows
             for f in flows[10:30]]
    made += [(f, new_doc(f, phase="no_such_phase"), 1) for f in flows[60:75]]               # FS001 invalid
    made += [(f, new_doc(f, phase="dependency_analysis"), 1) for f in flows[75:85]]         # FS003 illegal move
    made += [(f, new_doc(f, step=1), 1) for f in missing]                                   # FS004 not found
    made += [(flows[85], new_doc(flows[85], note="nul \u0000 byte"), 1)]                     # FS001: jsonb refuses it
    made += [(f, new_doc(f, step=4), 1) for f in flows[86:]]                                # v2, after all that
    made += [(f, new_doc(f, step=5), PUT) for f in flows[:3] + missing[:2]]                 # put: v3, and creates
    made += [(f, new_doc(f, phase="no_such_phase"), PUT) for f in flows[3:6]]               # put: FS001 invalid
    made += [(f, new_doc(f, step=6), 2) for f in flows[:3]]                                 # FS002: the put made v3
    return made


def outcome(result: Any, names: dict[str, str]) -> Any:
    """A result or error with flow ids replaced by their position, so two runs compare."""
    def named(text: str) -> str:
        for flow_id, name in names.items():
            text = text.replace(flow_id, name)
        return text

    if isinstance(result, StateError):
        return (type(result).__name__, result.sqlstate, named(str(result)), named(json.dumps(result.detail, sort_keys=True)))
    assert isinstance(result, FlowState), result
    return (result.flow_version, result.current_phase, result.phases_completed, result.status, result.state_data)


async def run(store: FlowStateStore, together: bool) -> tuple[list, list]:
    flows, missing = [uuid.uuid4() for _ in range(FLOWS)], [uuid.uuid4() for _ in range(5)]
    names = {str(f): f"<flow {n}>" for n, f in enumerate(flows + missing)}
    saves = [store.put_state(f, state, label=f"step {n}") if version == PUT else store.save_state(f, state, version=version)
             for n, (f, state, version) in enumerate(calls(flows, missing))]
    if together:
        results = await asyncio.gather(*saves, return_exceptions=True)
    else:
        results = []
        for save in saves:
            try:
                results.append(await save)
            except StateError as exc:
                results.append(exc)
    final = []
    for f in flows + missing:
        loaded = await store.load_state(f)
        history = await store.history(f)
        final.append((None if loaded is None else outcome(loaded, names),
                      [(h.operation, h.old_version, h.new_version, h.old_phase, h.new_phase, h.label, h.changes, h.snapshot)
                       for h in history]))
    return [outcome(r, names) for r in results], final


def count_batches(store: FlowStateStore) -> list[int]:
    """The sizes of the batches the store sends (its coalescer's batch call, counted)."""
    sizes: list[int] = []
    together = store._coalescer._together

    async def counted(writes):
        sizes.append(len(writes))
        return await together(writes)

    store._coalescer._together = counted
    return sizes


@pytest.mark.parametrize("coalesce", [1, True])  # True: as many statements in flight as connections (4)
async def test_saves_at_once_give_exactly_what_one_by_one_saves_give(app_pool, coalesce):
    one_by_one = await run(FlowStateStore(app_pool, new_context(), coalesce=False), together=False)
    store = FlowStateStore(app_pool, new_context(), coalesce=coalesce)
    batches = count_batches(store)
    at_once = await run(store, together=True)

    assert at_once[0] == one_by_one[0], "each caller's result or error"
    assert at_once[1] == one_by_one[1], "each flow's final document and history"
    kinds = {r[1] for r in one_by_one[0] if isinstance(r[0], str)}
    assert kinds == {"FS001", "FS002", "FS003", "FS004", "FS005"}
    assert batches and max(batches) > 10 and sum(batches) < len(at_once[0]), "the saves went together"
    assert max(batches) <= 50, "at most MAX_ITEMS in one transaction (subtransaction ids stay cached)"


async def test_a_lone_caller_is_sent_alone_at_once(app_pool):
    store = FlowStateStore(app_pool, new_context())
    batches = count_batches(store)
    flow_id = uuid.uuid4()
    for version in (None, 1, 2):
        saved = await store.save_state(flow_id, new_doc(flow_id, step=version), version=version)
    assert saved.flow_version == 3 and batches == []


async def test_a_batch_whose_reply_is_lost_applies_each_save_once(admin_dsn, app_dsn, app_pool):
    context = new_context()
    flows = [uuid.uuid4() for _ in range(20)]
    direct = FlowStateStore(app_pool, context)
    for f in flows:
        await direct.save_state(f, new_doc(f, step=0))
    async with Proxy(await server_address(admin_dsn)) as proxy:
        pool = await create_pool(proxy.dsn(app_dsn), min_size=1, max_size=1)
        try:
            store = FlowStateStore(pool, context, retry_backoff=0)
            batches = count_batches(store)
            proxy.cut_after("flow_save_states(")
            saves = [store.save_state(f, new_doc(f, step=1), version=1) for f in flows]
            saves += [store.save_state(f, new_doc(f, step=2), version=1) for f in flows[:5]]  # stale
            saves += [store.put_state(f, new_doc(f, step=3), label="put") for f in flows[5:10]]
            results = await asyncio.gather(*saves, return_exceptions=True)
        finally:
            await pool.close()

    assert proxy.cuts == 1 and batches[0] == len(saves) - 1, "the reply of the batch was lost"
    assert [r.flow_version for r in results[:20]] == [2] * 20
    assert [r.sqlstate for r in results[20:25]] == ["FS002"] * 5
    assert [r.flow_version for r in results[25:]] == [3] * 5
    conn = await asyncpg.connect(admin_dsn)
    try:
        rows = await conn.fetch("""
            select f.flow_version,
                   (select count(*) from flowstate.audit_log a where a.flow_id = f.flow_id) as audit_rows,
                   (select count(*) from flowstate.request_ids r where r.flow_id = f.flow_id) as request_ids
              from flowstate.flows f where f.flow_id = any($1::uuid[])""", flows)
    finally:
        await conn.close()
    assert sorted(tuple(r) for r in rows) == [(2, 2, 2)] * 15 + [(3, 3, 3)] * 5, \
        "one new version, one audit row, one request id per save and put"


async def test_a_caller_that_stops_waiting_leaves_the_others_their_saves(app_pool):
    store = FlowStateStore(app_pool, new_context(), coalesce=1)
    flows = [uuid.uuid4() for _ in range(4)]
    tasks = [asyncio.ensure_future(store.save_state(f, new_doc(f))) for f in flows]
    await asyncio.sleep(0)  # every save has been made: the first is in flight, the others queue
    tasks[2].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[2], asyncio.CancelledError)
    assert [results[n].flow_version for n in (0, 1, 3)] == [1, 1, 1]
    assert await store.load_state(flows[2]) is None, "a queued save that was given up is never sent"


@pytest.mark.parametrize("coalesce", [0, -1, 1.5, "yes", None])
def test_coalesce_must_be_a_boolean_or_a_count(app_pool, coalesce):
    with pytest.raises(StateError):
        FlowStateStore(app_pool, new_context(), coalesce=coalesce)


async def test_by_default_saves_queue_only_when_every_connection_is_busy(app_pool):
    store = FlowStateStore(app_pool, new_context())  # app_pool has 4 connections
    batches = count_batches(store)
    flows = [uuid.uuid4() for _ in range(4)]
    await asyncio.gather(*(store.save_state(f, new_doc(f)) for f in flows))
    assert batches == [], "four saves, four connections: each went alone"
    flows = [uuid.uuid4() for _ in range(12)]
    saved = await asyncio.gather(*(store.save_state(f, new_doc(f)) for f in flows))
    assert batches == [8] and [s.flow_version for s in saved] == [1] * 12, "the eight that found no connection went together"


async def test_the_callers_a_batch_answers_save_together_again(app_pool):
    # Writers that each save again as soon as they are answered: a batch wakes its callers in
    # one turn of the loop, and their next saves go together. Were the first of them sent alone
    # the moment the batch ended, the others would wait for it: a lone save between batches.
    store = FlowStateStore(app_pool, new_context(), coalesce=1)
    batches = count_batches(store)
    alone = []
    send_alone = store._coalescer._alone

    async def counted(write):
        alone.append(write.flow_id)
        return await send_alone(write)

    store._coalescer._alone = counted

    async def writer(flow_id: uuid.UUID) -> int:
        version = (await store.save_state(flow_id, new_doc(flow_id))).flow_version
        for step in range(1, 6):
            version = (await store.save_state(flow_id, new_doc(flow_id, step=step), version=version)).flow_version
        return version

    versions = await asyncio.gather(*(writer(uuid.uuid4()) for _ in range(8)))
    assert versions == [6] * 8
    assert len(alone) == 1, "only the very first save found the store idle"
    assert batches[:2] == [7, 8] and set(batches[1:]) == {8}, batches


async def test_large_states_queued_together_spread_over_the_free_statements(app_pool):
    # Saves gathered after a batch queue together; with several statements free, large states
    # are spread over them (the server's parallelism pays more for them than one commit).
    store = FlowStateStore(app_pool, new_context(), coalesce=4)
    batches = count_batches(store)
    flows = [uuid.uuid4() for _ in range(8)]
    big = "x" * (SPREAD_BYTES // 2 - 1000)  # two such states make a batch's share, three do not
    saves = [asyncio.ensure_future(store.save_state(f, new_doc(f, blob=big))) for f in flows]
    store._coalescer._gather()  # as a batch does when it answers: these saves queue, then go
    saved = await asyncio.gather(*saves)
    assert [s.flow_version for s in saved] == [1] * 8
    assert batches == [2, 2, 2, 2]


async def test_a_batch_is_cut_at_max_bytes_of_states(app_pool):
    store = FlowStateStore(app_pool, new_context(), coalesce=1)
    batches = count_batches(store)
    flows = [uuid.uuid4() for _ in range(9)]
    big = "x" * (MAX_BYTES // 5 - 200)  # five such states fit in a batch, six do not
    saved = await asyncio.gather(*(store.save_state(f, new_doc(f, blob=big)) for f in flows))
    assert batches == [5, 3] and [s.flow_version for s in saved] == [1] * 9


async def test_a_locked_flow_in_a_batch_is_busy_for_its_caller_alone(admin_dsn, app_pool):
    """A batch locks its flows without waiting; one held elsewhere sends it item by item, in
    order, each waiting as a lone call does: only that flow's caller hears FS007."""
    context = new_context()
    store = FlowStateStore(app_pool, context, lock_timeout=0.2, coalesce=1)
    first, locked, other, another = (uuid.uuid4() for _ in range(4))
    for f in (first, locked, other, another):
        await store.save_state(f, new_doc(f))
    conn = await asyncpg.connect(admin_dsn)
    try:
        async with conn.transaction():
            await conn.execute("select 1 from flowstate.flows where flow_id = $1 for update", locked)
            with pytest.raises(StateError) as alone:
                await FlowStateStore(app_pool, context, lock_timeout=0.2, coalesce=False).save_state(
                    locked, new_doc(locked, step=1), version=1)
            batches = count_batches(store)
            results = await asyncio.gather(*(store.save_state(f, new_doc(f, step=1), version=1)
                                             for f in (first, locked, other, another)), return_exceptions=True)
        statements = await conn.fetchval("select count(distinct cmin::text) from flowstate.audit_log"
                                          " where flow_id = any($1) and new_version = 2", [other, another])
    finally:
        await conn.close()
    assert batches == [3], "the locked flow's save went in a batch"
    assert (type(results[1]), results[1].detail, str(results[1])) == (type(alone.value), alone.value.detail, str(alone.value))
    assert results[1].sqlstate == "FS007" and results[1].detail["flow_id"] == str(locked)
    assert [results[n].flow_version for n in (0, 2, 3)] == [2, 2, 2], "the others were saved"
    assert statements == 2, "item by item, not by the batch statement"
