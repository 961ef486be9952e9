"""Refusals: every FS error surfaces as its exception with its details, and changes nothing.
Bad input (malformed JSON, NUL bytes, absurd nesting) gets a clear error; roles hold."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from flowdocs import app_pool, new_context, new_doc, store  # noqa: F401 (fixtures)
from pgflowstate import (
    ConcurrentModificationError,
    FlowExistsError,
    FlowNotFoundError,
    FlowStateStore,
    InvalidTransitionError,
    StateError,
    StateValidationError,
)
from pgflowstate.errors import ERRORS


def test_every_fs_code_has_exactly_one_exception():
    assert sorted(ERRORS) == ["FS001", "FS002", "FS003", "FS004", "FS005", "FS006", "FS007"]
    assert all(issubclass(cls, StateError) for cls in ERRORS.values())


async def test_stale_version_is_refused_with_both_versions_and_changes_nothing(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, n=1))
    await store.save_state(flow_id, new_doc(flow_id, n=2), version=1)
    before = await store.load_state(flow_id)

    with pytest.raises(ConcurrentModificationError) as caught:
        await store.save_state(flow_id, new_doc(flow_id, n=99), version=1)

    err = caught.value
    assert (err.sqlstate, err.expected, err.actual, err.flow_id) == ("FS002", 1, 2, flow_id)
    assert isinstance(err.__cause__, asyncpg.PostgresError)
    assert await store.load_state(flow_id) == before


async def test_stale_transition_is_refused(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    await store.transition_phase(flow_id, "field_mapping")
    with pytest.raises(ConcurrentModificationError) as caught:
        await store.transition_phase(flow_id, "data_cleansing", version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert (await store.load_state(flow_id)).current_phase == "field_mapping"


async def test_creating_an_existing_id_is_refused_whatever_its_tenant(app_pool, store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, mine=True))
    other = FlowStateStore(app_pool, new_context())

    for creator in (store, other):
        with pytest.raises(FlowExistsError) as caught:
            await creator.save_state(flow_id, new_doc(flow_id, mine=False))
        assert caught.value.flow_id == flow_id
    assert (await store.load_state(flow_id)).state_data == {"mine": True}


async def test_another_tenants_flow_is_indistinguishable_from_a_missing_one(app_pool, store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, secret="s3cr3t"))
    before = await store.load_state(flow_id)
    stranger = FlowStateStore(app_pool, new_context())
    missing = uuid.uuid4()

    assert await stranger.load_state(flow_id) is None
    refusals = []
    for target in (flow_id, missing):
        with pytest.raises(FlowNotFoundError) as on_save:
            await stranger.save_state(target, new_doc(target, secret="mine now"), version=1)
        with pytest.raises(FlowNotFoundError) as on_move:
            await stranger.transition_phase(target, "field_mapping")
        refusals.append([(type(e.value), e.value.sqlstate, sorted(e.value.detail)) for e in (on_save, on_move)])

    assert refusals[0] == refusals[1]
    assert await store.load_state(flow_id) == before


async def test_a_forbidden_transition_explains_itself_and_changes_nothing(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))

    with pytest.raises(InvalidTransitionError) as caught:
        await store.transition_phase(flow_id, "asset_inventory")

    err = caught.value
    assert (err.sqlstate, err.flow_id, err.from_phase, err.to_phase) == (
        "FS003", flow_id, "data_import", "asset_inventory")
    assert set(err.allowed) == {"field_mapping", "failed"}
    assert err.reason
    assert (await store.load_state(flow_id)).flow_version == 1


async def test_a_save_cannot_move_phases_backwards_either(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    await store.transition_phase(flow_id, "field_mapping")
    with pytest.raises(InvalidTransitionError) as caught:
        await store.save_state(flow_id, new_doc(flow_id), version=2)  # back to data_import
    assert (caught.value.from_phase, caught.value.to_phase) == ("field_mapping", "data_import")
    assert (await store.load_state(flow_id)).current_phase == "field_mapping"


async def test_an_invalid_document_lists_every_error_and_stores_nothing(store):
    flow_id = uuid.uuid4()
    bad = {
        "flow_id": str(flow_id),
        "current_phase": "no_such_phase",
        "phases_completed": "data_import",
        "state_data": [1, 2],
        "flow_version": "three",
        "status": "sleeping",
        "bogus": 1,
    }

    with pytest.raises(StateValidationError) as caught:
        await store.save_state(flow_id, bad)

    errors = caught.value.errors
    assert caught.value.sqlstate == "FS001"
    assert len(errors) >= 5, errors
    for word in ("phases_completed", "state_data", "flow_version", "status", "bogus"):
        assert any(word in e for e in errors), (word, errors)
    assert await store.load_state(flow_id) is None


async def test_a_nul_byte_is_refused_clearly_and_nothing_is_stored(store):
    flow_id = uuid.uuid4()
    with pytest.raises(StateValidationError) as caught:
        await store.save_state(flow_id, new_doc(flow_id, text="before\x00after"))
    assert "\\u0000" in caught.value.errors[0]
    assert isinstance(caught.value.__cause__, asyncpg.UntranslatableCharacterError)
    assert await store.load_state(flow_id) is None


@pytest.mark.parametrize("text, cause", [
    ('{"flow_id": "x", ', asyncpg.InvalidTextRepresentationError),           # truncated
    ('{"a": NaN}', asyncpg.InvalidTextRepresentationError),                  # not JSON
    ('{"s": "\\ud800"}', asyncpg.InvalidTextRepresentationError),             # lone surrogate
    ('[' * 100_000 + ']' * 100_000, asyncpg.StatementTooComplexError),       # absurd nesting
])
async def test_json_postgresql_cannot_read_is_a_validation_error(store, text, cause):
    flow_id = uuid.uuid4()
    with pytest.raises(StateValidationError) as caught:
        await store.save_state(flow_id, text)
    assert len(caught.value.errors) == 1
    assert isinstance(caught.value.__cause__, cause)
    assert await store.load_state(flow_id) is None


async def test_deep_nesting_is_refused_before_the_database_does_any_work(store):
    flow_id = uuid.uuid4()
    deep: dict = {}
    node = deep
    for _ in range(100):  # past the default limit of 64 levels
        node["x"] = {}
        node = node["x"]
    with pytest.raises(StateValidationError) as caught:
        await store.save_state(flow_id, new_doc(flow_id, deep=deep))
    assert "nested" in caught.value.errors[0]
    assert caught.value.sqlstate == "FS001"

    absurd: list = []
    for _ in range(10_000):  # past what the encoder will write at all
        absurd = [absurd]
    with pytest.raises(StateValidationError):
        await store.save_state(flow_id, new_doc(flow_id, deep=absurd))
    assert await store.load_state(flow_id) is None


@pytest.mark.parametrize("value", ["\ud800", object(), {1: "non-string key"}])
async def test_values_json_cannot_hold_are_refused_not_altered(store, value):
    flow_id = uuid.uuid4()
    with pytest.raises(StateValidationError) as caught:
        await store.save_state(flow_id, new_doc(flow_id, value=value))
    assert caught.value.errors
    assert await store.load_state(flow_id) is None


async def test_a_malformed_flow_id_is_a_validation_error(store):
    with pytest.raises(StateValidationError):
        await store.load_state("not-a-uuid")


async def test_the_app_role_cannot_touch_tables(app_dsn):
    conn = await asyncpg.connect(app_dsn)
    try:
        for query in ("select * from flowstate.flows",
                      "delete from flowstate.flows",
                      "select * from flowstate.audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(query)
    finally:
        await conn.close()


async def test_only_the_admin_role_may_act_across_tenants(app_pool, store, admin_role_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, n=1))

    with pytest.raises(StateValidationError):
        await FlowStateStore(app_pool, None).load_state(flow_id)

    pool = await asyncpg.create_pool(admin_role_dsn, min_size=1, max_size=1)
    try:
        admin = FlowStateStore(pool, None)
        assert (await admin.load_state(flow_id)).state_data == {"n": 1}
    finally:
        await pool.close()
