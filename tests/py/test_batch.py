"""Batch save and load: many flows in one call; a refused item changes nothing."""

from __future__ import annotations

import uuid

import pytest

from pgflowstate import (ConcurrentModificationError, FlowStateStore, RequestContext, StateValidationError,
                         create_pool)


def context() -> RequestContext:
    return RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4())


def doc(flow_id, step=0, phase="data_import") -> dict:
    return {"flow_id": str(flow_id), "current_phase": phase, "phases_completed": [], "state_data": {"step": step}}


@pytest.fixture
async def store(app_dsn):
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    yield FlowStateStore(pool, context())
    await pool.close()


async def test_items_stand_alone_by_default(store):
    existing = uuid.uuid4()
    await store.save_state(existing, doc(existing))
    new, bad = uuid.uuid4(), uuid.uuid4()
    results = await store.save_states([
        (new, doc(new), None),                           # created
        (bad, doc(bad, phase="no_such_phase"), None),    # invalid: FS001
        (existing, doc(existing, step=1), 99),           # stale: FS002
        (existing, doc(existing, step=2), 1),            # saved
    ])
    assert results[0].flow_version == 1 and results[0].state_data == {"step": 0}
    assert isinstance(results[1], StateValidationError) and results[1].errors
    assert isinstance(results[2], ConcurrentModificationError)
    assert (results[2].expected, results[2].actual) == (99, 1)
    assert results[3].flow_version == 2 and results[3].state_data == {"step": 2}
    assert await store.load_state(bad) is None, "the refused item left nothing behind"
    assert [h.operation for h in await store.history(existing)] == ["create", "save"]


async def test_atomic_is_all_or_nothing(store):
    first, bad = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(StateValidationError):
        await store.save_states([(first, doc(first), None), (bad, {"flow_id": str(bad)}, None)], atomic=True)
    assert await store.load_state(first) is None, "the good item was rolled back with the bad one"
    saved = await store.save_states([(first, doc(first), None)], atomic=True)
    assert saved[0].flow_version == 1


async def test_load_many_returns_this_tenants_flows_only(store, app_dsn):
    mine = [uuid.uuid4() for _ in range(3)]
    await store.save_states([(f, doc(f, step=i), None) for i, f in enumerate(mine)])
    pool = await create_pool(app_dsn, min_size=1, max_size=1)
    try:
        theirs = uuid.uuid4()
        await FlowStateStore(pool, context()).save_state(theirs, doc(theirs))
    finally:
        await pool.close()
    loaded = await store.load_states([*mine, theirs, uuid.uuid4()])
    assert list(loaded) == mine
    assert [loaded[f].state_data["step"] for f in mine] == [0, 1, 2]
