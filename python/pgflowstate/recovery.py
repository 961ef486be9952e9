"""FlowStateRecovery: the original plan's recovery API over FlowStateStore.

No rules here: which checkpoint qualifies, what a reset looks like and who is alerted are the
database's (flowstate.flow_recover_failed, flowstate.flow_handle_corrupted). Each method is one
statement round trip; FS006 surfaces as StateRecoveryError.
"""

from __future__ import annotations

from uuid import UUID

from .models import CorruptionReport, FlowState
from .store import FlowId, FlowStateStore


class FlowStateRecovery:
    """Recovery of failed and corrupted flows for one request context."""

    def __init__(self, store: FlowStateStore) -> None:
        self.store = store

    async def recover_failed_flow(self, flow_id: FlowId) -> FlowState:
        """Restore the newest checkpoint whose snapshot still validates, as the next version
        with status ``recovered``, and alert on ``flowstate_alerts``. The result names the
        checkpoint it restored (``restored_checkpoint_id``). StateRecoveryError
        (``checkpoints_tried``) when no checkpoint qualifies."""
        return await self.store.recover_failed(flow_id)

    async def recover_from_checkpoint(
        self, flow_id: FlowId, checkpoint_id: UUID | str, version: int | None = None
    ) -> FlowState:
        """Restore one given checkpoint (see FlowStateStore.recover_from_checkpoint)."""
        return await self.store.recover_from_checkpoint(flow_id, checkpoint_id, version=version)

    async def handle_corrupted_state(self, flow_id: FlowId) -> CorruptionReport:
        """Archive the current document unchanged (``quarantine_id``, with the ``errors``
        validation finds in it), reset the flow to its initial state as the next version
        (``document``), and alert on ``flowstate_alerts``."""
        return await self.store.handle_corrupted(flow_id)
