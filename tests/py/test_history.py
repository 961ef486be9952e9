"""The audit trail through the wrapper: history, time travel (state_at) and diffs.

What Python adds is the mapping: arguments to flow_history, flow_state_at and flow_diff, and
their rows to HistoryEntry, FlowState and DiffEntry (JSON decoded, timestamps aware). The
rules themselves (what each operation records, filters, rebuilding any version, unknown
versions and other tenants) are proven in tests/sql/flow_history, flow_state_at, flow_diff
and audit."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import pytest

from flowdocs import app_pool, new_context, new_doc, store  # noqa: F401 (fixtures)
from pgflowstate import DiffEntry, FlowStateStore, HistoryEntry, StateValidationError


async def test_history_rows_become_history_entries(store):
    flow_id = uuid.uuid4()
    blob = "x" * 6000  # past audit_diff_min_bytes (4096 by default): the put is a change record
    await store.save_state(flow_id, new_doc(flow_id, blob=blob, n=0))
    await store.put_state(flow_id, new_doc(flow_id, blob=blob, n=1), label="step_one")
    checkpoint_id = await store.create_checkpoint(flow_id, label="mapped")

    created, put, checkpoint = await store.history(flow_id)

    assert all(isinstance(h, HistoryEntry) for h in (created, put, checkpoint))
    assert isinstance(created.logged_at, datetime) and created.logged_at.tzinfo is not None
    assert (created.operation, created.old_version, created.new_version) == ("create", None, 1)
    assert (created.snapshot, created.changes) == (True, None)
    assert created.actor_user_id == store.context.user_id and created.actor_role
    assert (put.label, put.snapshot, put.changes) == ("step_one", False, [[["state_data", "n"], 1]])
    assert (checkpoint.label, checkpoint.changes) == (str(checkpoint_id), None)


async def test_history_passes_since_operation_and_limit(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, n=0))
    await store.save_state(flow_id, new_doc(flow_id, n=1), version=1)
    await store.save_state(flow_id, new_doc(flow_id, n=2), version=2)
    await store.create_checkpoint(flow_id)
    await store.save_state(flow_id, new_doc(flow_id, n=3), version=3)
    await store.save_state(flow_id, new_doc(flow_id, n=4), version=4)
    everything = await store.history(flow_id)
    assert [h.operation for h in everything] == ["create", "save", "save", "checkpoint", "save", "save"]

    # Each argument cuts something the others keep, so dropping any one changes the answer.
    picked = await store.history(flow_id, since=everything[2].logged_at, operation="save", limit=2)
    assert picked == [everything[2], everything[4]]
    assert await store.history(uuid.uuid4()) == []


async def test_state_at_is_the_flow_state_each_version_stored(store):
    flow_id = uuid.uuid4()
    first = await store.save_state(flow_id, new_doc(flow_id, n=1, nested={"a": [1, None]}))
    checkpoint_id = await store.create_checkpoint(flow_id, label="one")
    second = await store.save_state(flow_id, new_doc(flow_id, n=2), version=1)

    assert await store.state_at(flow_id, 1) == first
    at_two = await store.state_at(flow_id, 2)
    assert at_two == second
    assert [(c.id, c.label) for c in at_two.checkpoints] == [(checkpoint_id, "one")]
    assert await store.state_at(flow_id, 3) is None


async def test_diff_rows_become_diff_entries_with_decoded_values(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, a=1, gone="bye", b={"c": 1}, z=[1, 2]))
    await store.save_state(flow_id, new_doc(
        flow_id, a=2, b={"c": 1, "d": True}, e="x", n=None, z=[1, 3, 4]), version=1)

    diff = await store.diff(flow_id, 1, 2)

    assert all(isinstance(d, DiffEntry) for d in diff)
    assert [(d.path, d.change, d.old_value, d.new_value) for d in diff] == [
        (["state_data", "a"], "changed", 1, 2),
        (["state_data", "b", "d"], "added", None, True),
        (["state_data", "e"], "added", None, "x"),  # a JSON string stays a string
        (["state_data", "gone"], "removed", "bye", None),
        (["state_data", "n"], "added", None, None),  # a JSON null, added
        (["state_data", "z"], "changed", [1, 2], [1, 3, 4]),
    ]
    assert await store.diff(flow_id, 1, 9) == []


async def test_a_plain_asyncpg_pool_reads_history_too(app_dsn):
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=1)
    try:
        plain = FlowStateStore(pool, new_context())
        flow_id = uuid.uuid4()
        blob = "z" * 5000
        await plain.save_state(flow_id, new_doc(flow_id, blob=blob, s="a"))
        saved = await plain.save_state(flow_id, new_doc(flow_id, blob=blob, s="b"), version=1)

        history = await plain.history(flow_id)
        assert history[-1].changes == [[["state_data", "s"], "b"]]
        assert await plain.state_at(flow_id, 2) == saved
        assert [(d.old_value, d.new_value) for d in await plain.diff(flow_id, 1, 2)] == [("a", "b")]
    finally:
        await pool.close()


async def test_a_malformed_flow_id_is_refused_before_any_round_trip(store):
    with pytest.raises(StateValidationError):
        await store.history("not-a-uuid")
    with pytest.raises(StateValidationError):
        await store.state_at("not-a-uuid", 1)
