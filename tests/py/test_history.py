"""The audit trail through the wrapper: history, time travel (state_at) and diffs."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime

import asyncpg
import pytest

from flowdocs import new_context, new_doc
from pgflowstate import DiffEntry, FlowState, FlowStateStore, HistoryEntry, StateValidationError


async def test_history_lists_every_event_oldest_first_with_who_and_what(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, n=1))
    await store.save_state(flow_id, new_doc(flow_id, n=2), version=1)
    await store.put_state(flow_id, new_doc(flow_id, n=3), label="step_three")
    await store.transition_phase(flow_id, "field_mapping")
    checkpoint_id = await store.create_checkpoint(flow_id, label="mapped")

    history = await store.history(flow_id)

    assert all(isinstance(h, HistoryEntry) for h in history)
    assert [h.operation for h in history] == ["create", "save", "put", "transition", "checkpoint"]
    assert [h.audit_id for h in history] == sorted(h.audit_id for h in history)
    assert [h.logged_at for h in history] == sorted(h.logged_at for h in history)
    assert all(isinstance(h.logged_at, datetime) and h.logged_at.tzinfo for h in history)
    assert [(h.old_version, h.new_version) for h in history] == [
        (None, 1), (1, 2), (2, 3), (3, 4), (4, 4)]
    assert [(h.old_phase, h.new_phase) for h in history][3:] == [
        ("data_import", "field_mapping"), ("field_mapping", "field_mapping")]
    assert {h.actor_user_id for h in history} == {store.context.user_id}
    assert all(h.actor_role for h in history)
    assert history[2].label == "step_three"
    assert history[4].label == str(checkpoint_id) and history[4].changes is None
    assert history[0].snapshot is True  # a create is always a full copy


async def test_history_filters_by_operation_time_and_count(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, n=0))
    for n in range(1, 5):
        await store.save_state(flow_id, new_doc(flow_id, n=n), version=n)
    await store.create_checkpoint(flow_id)
    everything = await store.history(flow_id)
    assert len(everything) == 6

    saves = await store.history(flow_id, operation="save")
    assert [h.new_version for h in saves] == [2, 3, 4, 5]
    assert await store.history(flow_id, limit=2) == everything[:2]
    assert await store.history(flow_id, since=everything[3].logged_at) == everything[3:]
    assert await store.history(flow_id, since=everything[2].logged_at, operation="save",
                               limit=2) == everything[2:4]
    assert await store.history(flow_id, operation="recover") == []


async def test_history_of_a_missing_or_foreign_flow_is_empty(app_pool, store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    stranger = FlowStateStore(app_pool, new_context())

    assert await store.history(uuid.uuid4()) == []
    assert await stranger.history(flow_id) == []
    assert len(await store.history(flow_id)) == 1


async def test_large_states_are_audited_as_changes_and_still_rebuild(store):
    flow_id = uuid.uuid4()
    blob = "x" * 6000  # past audit_diff_min_bytes (4096 by default): changes, not copies
    first = await store.save_state(flow_id, new_doc(flow_id, blob=blob, n=0, nested={"a": 1}))
    second = await store.save_state(
        flow_id, new_doc(flow_id, blob=blob, n=1, nested={"b": [1, 2]}), version=1)

    last = (await store.history(flow_id))[-1]
    assert last.snapshot is False
    assert last.changes and all(change[0][0] == "state_data" for change in last.changes)
    assert await store.state_at(flow_id, 1) == first
    assert await store.state_at(flow_id, 2) == second


async def test_state_at_returns_exactly_what_each_version_stored(store):
    flow_id = uuid.uuid4()
    big = "y" * 5000
    stored: dict[int, FlowState] = {}
    doc = new_doc(flow_id, rows=0, big=big, mappings={}, tags=["a"])
    # Copies: a save's result shares the caller's nested objects, which the loop mutates.
    stored[1] = await store.save_state(flow_id, copy.deepcopy(doc))
    for n in range(1, 25):
        doc["state_data"]["rows"] = n * 10
        doc["state_data"]["mappings"][f"col{n}"] = {"target": f"field_{n}", "score": n / 7}
        if n % 3 == 0:
            doc["state_data"]["mappings"].pop(f"col{n - 1}")
        if n % 5 == 0:
            doc["state_data"]["tags"].append(None)
            doc["state_data"]["big"] = big if n % 2 else ""  # grows, shrinks
        saved = await store.save_state(flow_id, copy.deepcopy(doc), version=max(stored))
        stored[saved.flow_version] = saved
        if n == 8:
            await store.create_checkpoint(flow_id, label="eight")  # listed from here on
        if n == 12:
            await store.transition_phase(flow_id, "field_mapping")
            moved = await store.load_state(flow_id)
            stored[moved.flow_version] = moved
            doc = moved.document()

    current = await store.load_state(flow_id)
    assert current == stored[current.flow_version]
    for version, document in stored.items():
        assert await store.state_at(flow_id, version) == document, version
    # The checkpoint was taken at version 9: listed from version 10 on, not before.
    assert stored[9].checkpoints == [] and [c.label for c in stored[10].checkpoints] == ["eight"]
    assert [c.label for c in (await store.state_at(flow_id, 10)).checkpoints] == ["eight"]


async def test_state_at_is_none_for_unknown_versions_and_other_tenants(app_pool, store):
    flow_id = uuid.uuid4()
    saved = await store.save_state(flow_id, new_doc(flow_id, secret="s"))
    stranger = FlowStateStore(app_pool, new_context())

    assert await store.state_at(flow_id, 1) == saved
    for version in (0, 2, -1, 2**62):
        assert await store.state_at(flow_id, version) is None
    assert await store.state_at(uuid.uuid4(), 1) is None
    assert await stranger.state_at(flow_id, 1) is None


async def test_diff_lists_each_changed_path_with_both_values(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, a=1, gone="bye", b={"c": 1}, z=[1, 2]))
    await store.save_state(flow_id, new_doc(
        flow_id, a=2, b={"c": 1, "d": True}, e="x", n=None, z=[1, 3, 4]), version=1)
    await store.transition_phase(flow_id, "field_mapping")

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
    assert [(d.path, d.old_value, d.new_value) for d in await store.diff(flow_id, 2, 3)] == [
        (["current_phase"], "data_import", "field_mapping"),
        (["phases_completed"], [], ["data_import"]),
    ]
    backwards = await store.diff(flow_id, 2, 1)
    assert {tuple(d.path): d.change for d in backwards}[("state_data", "gone")] == "added"
    assert await store.diff(flow_id, 3, 3) == []


async def test_diff_is_empty_for_unknown_versions_and_other_tenants(app_pool, store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, a=1))
    await store.save_state(flow_id, new_doc(flow_id, a=2), version=1)
    stranger = FlowStateStore(app_pool, new_context())

    assert len(await store.diff(flow_id, 1, 2)) == 1
    assert await store.diff(flow_id, 1, 9) == []
    assert await store.diff(flow_id, 0, 2) == []
    assert await store.diff(uuid.uuid4(), 1, 2) == []
    assert await stranger.diff(flow_id, 1, 2) == []


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
