"""A reused flow id through the wrapper, across committed transactions.

The pgTAP files in tests/sql/reused_flow_id/ prove every reader and recovery, each inside one
transaction (so both lives share their timestamps). What this adds: a DBA's DELETE and the new
flow committed separately, as in production, and the errors mapped (StateRecoveryError)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from flowdocs import app_pool, new_context, new_doc, store  # noqa: F401 (fixtures)
from pgflowstate import FlowStateStore, StateRecoveryError


async def test_a_reused_flow_id_shows_nothing_of_the_deleted_flow(app_pool, store, admin_role_dsn):
    """Tenant A's flow is deleted by a DBA's DELETE, then tenant B creates the id again: B's
    history, checkpoints, time travel and recoveries see only B's flow."""
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, secret="A1"))
    await store.save_state(flow_id, new_doc(flow_id, secret="A2"), version=1)
    a_checkpoint = await store.create_checkpoint(flow_id, label="A checkpoint")
    dba = await asyncpg.connect(admin_role_dsn)
    try:
        assert await dba.execute("delete from flowstate.flows where flow_id = $1", flow_id) == "DELETE 1"
    finally:
        await dba.close()
    b = FlowStateStore(app_pool, new_context())
    await b.save_state(flow_id, new_doc(flow_id, mine="B"))

    assert [(h.operation, h.actor_user_id) for h in await b.history(flow_id)] == [("create", b.context.user_id)]
    assert (await b.load_state(flow_id)).checkpoints == []
    assert await b.state_at(flow_id, 2) is None
    with pytest.raises(StateRecoveryError):
        await b.recover_from_checkpoint(flow_id, a_checkpoint)
    with pytest.raises(StateRecoveryError):
        await b.recover_failed(flow_id)
    assert (await b.load_state(flow_id)).state_data == {"mine": "B"}
