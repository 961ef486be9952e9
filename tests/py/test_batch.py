"""Batch save and load through the wrapper: (flow_id, state, version) tuples in; out, in order,
the FlowState of each saved item (with the caller's state_data) or the StateError its refusal
would raise alone, and for load_states a dict by flow id. The rules (a refused item changes
nothing, all or nothing, other tenants' flows absent) are proven in tests/sql/flow_save_states
and tests/sql/flow_load_states."""

from __future__ import annotations

import uuid

import pytest

from pgflowstate import (ConcurrentModificationError, FlowState, FlowStateStore, RequestContext, StateValidationError,
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


async def test_each_result_is_a_flow_state_or_the_error_it_would_raise(store):
    existing = uuid.uuid4()
    await store.save_state(existing, doc(existing))
    new, bad = uuid.uuid4(), uuid.uuid4()
    results = await store.save_states([
        (new, doc(new), None),                              # created
        (str(bad), doc(bad, phase="no_such_phase"), None),  # invalid: FS001 (a str id is fine)
        (existing, doc(existing, step=1), 99),              # stale: FS002
        (existing, doc(existing, step=2), 1),               # saved
    ])
    assert isinstance(results[0], FlowState)
    assert (results[0].flow_id, results[0].flow_version, results[0].state_data) == (new, 1, {"step": 0})
    assert isinstance(results[1], StateValidationError) and results[1].errors and results[1].flow_id == bad
    assert isinstance(results[2], ConcurrentModificationError)
    assert (results[2].sqlstate, results[2].expected, results[2].actual) == ("FS002", 99, 1)
    assert (results[3].flow_version, results[3].state_data) == (2, {"step": 2})


async def test_atomic_raises_the_refusal_as_its_exception(store):
    first, bad = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(StateValidationError) as caught:
        await store.save_states([(first, doc(first), None), (bad, {"flow_id": str(bad)}, None)], atomic=True)
    assert caught.value.flow_id == bad and caught.value.errors
    saved = await store.save_states([(first, doc(first), None)], atomic=True)
    assert isinstance(saved[0], FlowState) and saved[0].flow_version == 1


async def test_load_many_is_a_dict_of_flow_states_by_id_in_the_order_asked(store):
    flows = [uuid.uuid4() for _ in range(3)]
    await store.save_states([(f, doc(f, step=i), None) for i, f in enumerate(flows)])
    asked = [flows[2], uuid.uuid4(), str(flows[0]), flows[1]]
    loaded = await store.load_states(asked)
    assert list(loaded) == [flows[2], flows[0], flows[1]]
    assert all(isinstance(state, FlowState) for state in loaded.values())
    assert [loaded[f].state_data["step"] for f in flows] == [0, 1, 2]
