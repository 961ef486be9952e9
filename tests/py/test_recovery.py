"""Checkpoints, recovery, corruption handling and the alerts they send, against a real server.

Alerts are received by a real LISTEN started before the call; each wait has a timeout and
nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from flowdocs import app_pool, new_context, new_doc, store  # noqa: F401 (fixtures)
from pgflowstate import (
    Alert,
    Checkpoint,
    CheckpointPage,
    ConcurrentModificationError,
    CorruptionReport,
    FlowState,
    FlowStateRecovery,
    FlowStateStore,
    StateRecoveryError,
    StateValidationError,
    create_pool,
    listen_alerts,
)
from pgflowstate.alerts import AlertStream, parse_alert

ALERT_TIMEOUT = 10


async def alert_for(alerts: AlertStream, flow_id: uuid.UUID, event: str) -> Alert:
    """The first alert about ``flow_id`` with ``event`` (others' alerts are skipped)."""

    async def first() -> Alert:
        async for alert in alerts:
            if alert.flow_id == flow_id and alert.event == event:
                return alert
        raise AssertionError("the alert stream ended")

    return await asyncio.wait_for(first(), ALERT_TIMEOUT)


async def corrupt(admin_dsn: str, flow_id: uuid.UUID, **columns) -> None:
    """A superuser's direct UPDATE of flowstate.flows, bypassing every function."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=2))
        await conn.execute(f"update flowstate.flows set {sets} where flow_id = $1",
                           flow_id, *columns.values())
    finally:
        await conn.close()


async def admin_fetchrow(admin_dsn: str, query: str, *args):
    conn = await asyncpg.connect(admin_dsn)
    try:
        return await conn.fetchrow(query, *args)
    finally:
        await conn.close()


# -- checkpoints and recovery from one -----------------------------------------------------


async def test_checkpoint_then_recover_restores_it_as_a_new_version(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, rows=[1, 2], source="cmdb"))
    checkpoint_id = await store.create_checkpoint(flow_id, label="imported")

    assert isinstance(checkpoint_id, uuid.UUID)
    loaded = await store.load_state(flow_id)
    assert loaded.flow_version == 1  # a checkpoint changes no state
    assert [(c.id, c.phase, c.label) for c in loaded.checkpoints] == [
        (checkpoint_id, "data_import", "imported")]

    await store.save_state(flow_id, new_doc(flow_id, completed=("data_import",), mappings={"a": 1}),
                           phase="field_mapping", version=1)
    recovered = await store.recover_from_checkpoint(flow_id, checkpoint_id)

    assert isinstance(recovered, FlowState)
    assert recovered.flow_version == 3 and recovered.status == "recovered"
    assert recovered.current_phase == "data_import" and recovered.phases_completed == []
    assert recovered.state_data == {"rows": [1, 2], "source": "cmdb"}  # returned whole
    assert [c.id for c in recovered.checkpoints] == [checkpoint_id]
    assert recovered.metadata["user_id"] == str(store.context.user_id)
    assert await store.load_state(flow_id) == recovered
    # History is never rewritten: version 2 is still there as it was.
    assert (await store.state_at(flow_id, 2)).state_data == {"mappings": {"a": 1}}
    assert [h.operation for h in await store.history(flow_id)] == [
        "create", "checkpoint", "save", "recover"]


async def test_a_checkpoint_may_name_a_completed_phase_but_not_a_future_one(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    await store.transition_phase(flow_id, "field_mapping")

    earlier = await store.create_checkpoint(flow_id, phase="data_import")
    with pytest.raises(StateValidationError) as caught:
        await store.create_checkpoint(flow_id, phase="asset_inventory")

    assert caught.value.errors and caught.value.flow_id == flow_id
    assert [(c.id, c.phase) for c in (await store.load_state(flow_id)).checkpoints] == [
        (earlier, "data_import")]


async def test_recovery_with_a_stale_version_changes_nothing(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, n=1))
    checkpoint_id = await store.create_checkpoint(flow_id)
    await store.save_state(flow_id, new_doc(flow_id, n=2), version=1)

    with pytest.raises(ConcurrentModificationError) as caught:
        await store.recover_from_checkpoint(flow_id, checkpoint_id, version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert (await store.load_state(flow_id)).state_data == {"n": 2}

    recovered = await store.recover_from_checkpoint(flow_id, str(checkpoint_id), version=2)
    assert (recovered.flow_version, recovered.state_data) == (3, {"n": 1})


async def test_an_unknown_or_foreign_checkpoint_is_a_recovery_error(store):
    flow_id, other_flow = uuid.uuid4(), uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    await store.save_state(other_flow, new_doc(other_flow))
    others_checkpoint = await store.create_checkpoint(other_flow)

    for checkpoint_id in (uuid.uuid4(), others_checkpoint):
        with pytest.raises(StateRecoveryError) as caught:
            await store.recover_from_checkpoint(flow_id, checkpoint_id)
        err = caught.value
        assert (err.sqlstate, err.flow_id, err.checkpoint_id) == ("FS006", flow_id, checkpoint_id)
        assert err.reason
    assert (await store.load_state(flow_id)).flow_version == 1
    with pytest.raises(StateValidationError):
        await store.recover_from_checkpoint(flow_id, "not-a-uuid")


# -- FlowStateRecovery: failed flows --------------------------------------------------------


async def test_recover_failed_restores_the_newest_checkpoint_that_still_validates(
    store, admin_dsn, app_dsn
):
    flow_id = uuid.uuid4()
    recovery = FlowStateRecovery(store)
    await store.save_state(flow_id, new_doc(flow_id, step="imported"))
    await store.create_checkpoint(flow_id, label="oldest")
    await store.save_state(flow_id, new_doc(flow_id, completed=("data_import",), step="mapped"),
                           phase="field_mapping", version=1)
    newest_valid = await store.create_checkpoint(flow_id, label="newest valid")
    await corrupt(admin_dsn, flow_id, current_phase="no_such_phase")
    await store.create_checkpoint(flow_id, label="of the corrupted state")  # newest, invalid
    await store.transition_phase(flow_id, "failed")
    before = await store.load_state(flow_id)

    async with listen_alerts(app_dsn, context=store.context) as alerts:
        recovered = await recovery.recover_failed_flow(flow_id)
        alert = await alert_for(alerts, flow_id, "flow_recovered")

    assert recovered.flow_version == before.flow_version + 1
    assert recovered.status == "recovered" and recovered.failed_phase is None
    assert (recovered.current_phase, recovered.phases_completed) == ("field_mapping", ["data_import"])
    assert recovered.state_data == {"step": "mapped"}
    assert await store.load_state(flow_id) == recovered
    assert alert.restored == str(newest_valid)
    assert (alert.flow_version, alert.current_phase) == (recovered.flow_version, "field_mapping")
    assert (alert.client_account_id, alert.engagement_id, alert.actor_user_id) == (
        store.context.client_account_id, store.context.engagement_id, store.context.user_id)
    assert alert.actor_role and alert.at is not None and alert.flow_type == "discovery"
    recover_row = (await store.history(flow_id, operation="recover"))[-1]
    assert recover_row.label == str(newest_valid)


async def test_recover_failed_without_a_valid_checkpoint_is_a_recovery_error(store, admin_dsn):
    flow_id = uuid.uuid4()
    recovery = FlowStateRecovery(store)
    await store.save_state(flow_id, new_doc(flow_id))

    with pytest.raises(StateRecoveryError) as none_at_all:
        await recovery.recover_failed_flow(flow_id)
    assert (none_at_all.value.sqlstate, none_at_all.value.checkpoints_tried) == ("FS006", 0)
    assert none_at_all.value.flow_id == flow_id and none_at_all.value.reason

    await corrupt(admin_dsn, flow_id, current_phase="no_such_phase")
    await store.create_checkpoint(flow_id)  # a snapshot of the corrupted state
    with pytest.raises(StateRecoveryError) as none_valid:
        await recovery.recover_failed_flow(flow_id)
    assert none_valid.value.checkpoints_tried == 1
    assert (await store.load_state(flow_id)).flow_version == 2  # the admin update, nothing since


# -- FlowStateRecovery: corrupted flows ------------------------------------------------------


async def test_handle_corrupted_quarantines_resets_and_alerts(store, admin_dsn, app_dsn):
    flow_id = uuid.uuid4()
    recovery = FlowStateRecovery(store)
    await store.save_state(flow_id, new_doc(flow_id, rows=3))
    await store.transition_phase(flow_id, "field_mapping")
    await corrupt(admin_dsn, flow_id, current_phase="no_such_phase",
                  state_data='{"rows": "garbage"}')
    corrupted = await store.load_state(flow_id)
    assert corrupted.flow_version == 3 and corrupted.current_phase == "no_such_phase"

    async with listen_alerts(app_dsn, context=store.context) as alerts:
        report = await recovery.handle_corrupted_state(flow_id)
        alert = await alert_for(alerts, flow_id, "corrupted_state_reset")

    assert isinstance(report, CorruptionReport)
    assert any("no_such_phase" in e for e in report.errors)
    reset = report.document
    assert reset.flow_version == 4 and reset.status == "running"
    assert (reset.current_phase, reset.phases_completed, reset.state_data) == ("data_import", [], {})
    assert await store.load_state(flow_id) == reset

    archived = await admin_fetchrow(
        admin_dsn, "select flow_version, document, errors from flowstate.quarantine"
                   " where flow_id = $1 and quarantine_id = $2", flow_id, report.quarantine_id)
    assert archived["flow_version"] == 3 and list(archived["errors"]) == report.errors
    assert FlowState.model_validate_json(archived["document"]) == corrupted  # kept unchanged

    assert alert.quarantine_id == str(report.quarantine_id)
    assert (alert.flow_version, alert.current_phase, alert.archived_version) == (4, "data_import", 3)
    assert alert.errors == report.errors[:5]
    assert alert.actor_user_id == store.context.user_id
    assert [h.operation for h in await store.history(flow_id)][-3:] == [
        "admin_update", "archive", "reset"]
    assert (await store.state_at(flow_id, 3)) == corrupted


# Regression: the payload used to be cut with left(text, 7900), which broke the JSON (losing
# flow_id) and, counting characters rather than bytes, made NOTIFY refuse multibyte text.
@pytest.mark.parametrize("phase", ["x" * 9000, "é" * 5000], ids=["ascii", "multibyte"])
async def test_handle_corrupted_alerts_readably_whatever_the_corruption(
    store, admin_dsn, app_dsn, phase
):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    await corrupt(admin_dsn, flow_id, current_phase=phase)  # quoted in the errors

    async with listen_alerts(app_dsn, context=store.context) as alerts:
        report = await store.handle_corrupted(flow_id)
        alert = await alerts.get(ALERT_TIMEOUT)  # nothing else notifies in this test
    assert report.document.current_phase == "data_import"
    assert (alert.event, alert.flow_id) == ("corrupted_state_reset", flow_id)


async def test_list_checkpoints_pages_through_all_of_them_as_typed_pages(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    ids = [await store.create_checkpoint(flow_id, label=f"cp {n}") for n in range(12)]
    seen, after = [], None
    while True:
        page = await store.list_checkpoints(flow_id, after=after, limit=5)
        assert isinstance(page, CheckpointPage) and all(isinstance(c, Checkpoint) for c in page.checkpoints)
        seen += page.checkpoints
        if page.next is None:
            break
        assert page.next == page.checkpoints[-1].id
        after = page.next
    assert [c.id for c in seen] == ids[::-1]
    assert (seen[0].label, seen[0].phase, seen[0].flow_version) == ("cp 11", "data_import", 1)
    assert [c.id for c in (await store.load_state(flow_id)).checkpoints] == ids[2:]
    assert await store.list_checkpoints(uuid.uuid4()) is None


# -- the listener itself ---------------------------------------------------------------------


async def test_a_listener_on_a_pool_unlistens_before_giving_the_connection_back(app_dsn):
    pool = await create_pool(app_dsn, min_size=1, max_size=1)
    try:
        store = FlowStateStore(pool, new_context())
        flow_id = uuid.uuid4()
        await store.save_state(flow_id, new_doc(flow_id))
        checkpoint_id = await store.create_checkpoint(flow_id)

        async with listen_alerts(pool, context=store.context) as alerts:
            async with asyncpg.create_pool(app_dsn, min_size=1, max_size=1) as other:
                notifier = FlowStateStore(other, store.context)
                await notifier.recover_from_checkpoint(flow_id, checkpoint_id)
            alert = await alert_for(alerts, flow_id, "flow_recovered")
        assert alert.flow_version == 2

        # The same (only) connection, back in the pool, listens to nothing.
        assert await pool.fetchval("select pg_listening_channels()") is None
        assert (await store.recover_from_checkpoint(flow_id, checkpoint_id)).flow_version == 3
    finally:
        await pool.close()


async def test_the_stream_ends_with_its_block_and_raises_when_the_connection_is_lost(
    app_dsn, admin_dsn
):
    name = f"alerts-{uuid.uuid4()}"
    async with listen_alerts(app_dsn, context=new_context(), server_settings={"application_name": name}) as alerts:
        waiting = asyncio.ensure_future(alerts.__anext__())
        killed = await admin_fetchrow(
            admin_dsn, "select pg_terminate_backend(pid) from pg_stat_activity"
                       " where application_name = $1", name)
        assert killed[0] is True
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(waiting, ALERT_TIMEOUT)

    async with listen_alerts(app_dsn, context=new_context()) as alerts:
        pass
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(alerts.__anext__(), ALERT_TIMEOUT)


async def test_a_payload_that_is_not_an_alert_is_kept_not_dropped(app_dsn):
    async with listen_alerts(app_dsn, context=new_context()) as alerts:
        conn = await asyncpg.connect(app_dsn)
        try:
            await conn.execute("select pg_notify('flowstate_alerts', 'not json'),"
                               " pg_notify('flowstate_alerts', '{\"flow_id\": 7}')")
        finally:
            await conn.close()
        first = await alerts.get(ALERT_TIMEOUT)
        second = await alerts.get(ALERT_TIMEOUT)

    assert (first.event, first.payload) == (None, "not json")
    assert (second.event, second.payload) == (None, '{"flow_id": 7}')
    assert parse_alert('{"event": "x", "flow_id": null, "extra": [1]}').extra == [1]
