"""Refusals: every FS error surfaces as its exception with its details, and changes nothing.
Bad input (malformed JSON, NUL bytes, absurd nesting) gets a clear error; roles hold."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from flowdocs import new_context, new_doc
from pgflowstate import (
    ConcurrentModificationError,
    FlowExistsError,
    FlowNotFoundError,
    FlowStateStore,
    InvalidTransitionError,
    StateError,
    StateValidationError,
    create_pool,
)
from pgflowstate.errors import ERRORS


def test_every_fs_code_has_exactly_one_exception():
    assert sorted(ERRORS) == ["FS001", "FS002", "FS003", "FS004", "FS005", "FS006", "FS007", "FS008"]
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


async def test_a_nul_byte_or_lone_surrogate_in_state_data_comes_back_exactly(store):
    """jsonb holds neither; the codec keeps them beside a stand-in (as CrewAI's SQLite keeps them)."""
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, text="before\x00after", lone="\ud800"))
    loaded = await store.load_state(flow_id)
    assert (loaded.state_data["text"], loaded.state_data["lone"]) == ("before\x00after", "\ud800")


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


@pytest.mark.parametrize("value", [object(), {1: "non-string key"}])
async def test_values_json_cannot_hold_are_refused_not_altered(store, value):
    flow_id = uuid.uuid4()
    with pytest.raises(StateValidationError) as caught:
        await store.save_state(flow_id, new_doc(flow_id, value=value))
    assert caught.value.errors
    assert await store.load_state(flow_id) is None


async def test_a_malformed_flow_id_is_a_validation_error(store):
    with pytest.raises(StateValidationError):
        await store.load_state("not-a-uuid")


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


async def test_a_binding_holds_for_open_sessions_from_the_moment_a_dba_commits_it(admin_dsn, other_app_dsn):
    """Bindings compile into a function the context check inlines: a session whose plans
    were made before the DBA's change must follow it at its next call, both ways."""
    pool = await create_pool(other_app_dsn, min_size=1, max_size=1)  # one session throughout
    mine, theirs = FlowStateStore(pool, new_context()), FlowStateStore(pool, new_context())
    ours, other = uuid.uuid4(), uuid.uuid4()
    await mine.save_state(ours, new_doc(ours))
    await theirs.save_state(other, new_doc(other))  # both tenants, plans cached while unbound
    role = await pool.fetchval("select session_user")
    dba = await asyncpg.connect(admin_dsn)
    try:
        await dba.execute("insert into flowstate.role_tenants (role_name, client_account_id, engagement_id)"
                          " values ($1, $2, $3)", role, mine.context.client_account_id, mine.context.engagement_id)
        assert await theirs.load_state(other) is None
        with pytest.raises(FlowNotFoundError):
            await theirs.save_state(other, new_doc(other, n=1), version=1)
        new_id = uuid.uuid4()
        with pytest.raises(FlowNotFoundError):
            await theirs.save_state(new_id, new_doc(new_id))
        assert (await mine.save_state(ours, new_doc(ours, n=1), version=1)).flow_version == 2
    finally:
        await dba.execute("delete from flowstate.role_tenants where role_name = $1", role)
        await dba.close()
    try:
        assert (await theirs.load_state(other)).flow_version == 1  # unchanged, and visible again
        assert await theirs.load_state(new_id) is None  # the refused creation created nothing
    finally:
        await pool.close()
