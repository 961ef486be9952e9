"""Alerts tell a listener nothing it could use; their details go to the flow's tenant only.

Any role can LISTEN on flowstate_alerts, so the notification carries only the event and an
opaque alert id, and flowstate.flow_alert gives the details to the flow's tenant (or an
admin). Alerts are received by a real LISTEN started before the call; each wait has a timeout
and nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg
import pytest

from flowdocs import app_pool, new_context, new_doc, store  # noqa: F401 (fixtures)
from pgflowstate import FlowStateStore, StateValidationError, listen_alerts
from test_recovery import ALERT_TIMEOUT, alert_for, corrupt


# Regression: the payload named the flow and its tenant, and a request context is only those
# ids: a second application login that listened could load and change the flow.
async def test_an_alert_tells_another_login_nothing_it_could_use(store, other_app_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, secret="A's"))
    checkpoint_id = await store.create_checkpoint(flow_id)
    eavesdropper = await asyncpg.connect(other_app_dsn)
    try:
        heard: asyncio.Queue[str] = asyncio.Queue()
        await eavesdropper.add_listener("flowstate_alerts", lambda *args: heard.put_nowait(args[3]))
        await store.recover_from_checkpoint(flow_id, checkpoint_id)
        payload = await asyncio.wait_for(heard.get(), ALERT_TIMEOUT)
        sent = json.loads(payload)
        assert set(sent) == {"event", "alert_id"} and sent["event"] == "flow_recovered"
        ids = (flow_id, checkpoint_id, *store.context.jsonb().values())
        assert not any(str(i) in payload for i in ids), payload
        # With its own tenant's context, the other login learns nothing more.
        assert await FlowStateStore(eavesdropper, new_context()).alert(sent["alert_id"]) is None
    finally:
        await eavesdropper.close()

    alert = await store.alert(sent["alert_id"])
    assert (alert.event, alert.alert_id, alert.flow_id) == ("flow_recovered", uuid.UUID(sent["alert_id"]), flow_id)
    assert (alert.client_account_id, alert.engagement_id, alert.actor_user_id) == (
        store.context.client_account_id, store.context.engagement_id, store.context.user_id)
    assert alert.restored == str(checkpoint_id) and alert.flow_version == 2


async def test_a_listener_gets_its_own_tenants_alerts_only(app_pool, app_dsn, other_app_dsn):
    mine, theirs = FlowStateStore(app_pool, new_context()), FlowStateStore(app_pool, new_context())
    flows = {}
    for store in (theirs, mine):
        flows[store] = uuid.uuid4()
        await store.save_state(flows[store], new_doc(flows[store]))
    async with listen_alerts(other_app_dsn, context=mine.context) as alerts:
        for store in (theirs, mine):
            await store.handle_corrupted(flows[store])  # the other tenant's alert comes first
        alert = await alerts.get(ALERT_TIMEOUT)
    assert (alert.event, alert.flow_id, alert.client_account_id) == (
        "corrupted_state_reset", flows[mine], mine.context.client_account_id)
    assert set(json.loads(alert.payload)) == {"event", "alert_id"}


async def test_an_admin_listener_gets_every_tenants_alerts_and_others_may_not_ask(
    app_pool, admin_role_dsn, app_dsn
):
    store = FlowStateStore(app_pool, new_context())
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    async with listen_alerts(admin_role_dsn, context=None) as alerts:
        await store.handle_corrupted(flow_id)
        alert = await alert_for(alerts, flow_id, "corrupted_state_reset")
    assert alert.client_account_id == store.context.client_account_id

    async with listen_alerts(app_dsn, context=None) as alerts:
        await store.handle_corrupted(flow_id)
        with pytest.raises(StateValidationError):
            await alerts.get(ALERT_TIMEOUT)


async def test_the_notification_stays_tiny_and_the_details_whole_whatever_the_corruption(
    store, admin_dsn, app_dsn
):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    phase = "é" * 5000  # 10 KB: over max_name_bytes, which the problems say
    await corrupt(admin_dsn, flow_id, current_phase=phase)
    async with listen_alerts(app_dsn, context=store.context) as alerts:
        await store.handle_corrupted(flow_id)
        alert = await alert_for(alerts, flow_id, "corrupted_state_reset")
    assert len(alert.payload.encode()) < 100
    assert alert.errors[0].startswith("current_phase is 10000 bytes long")
