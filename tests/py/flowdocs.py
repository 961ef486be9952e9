"""Helpers shared by the wrapper tests (their fixtures, app_pool and store, are in conftest.py).

Every test makes its own tenant and flow ids (random UUIDs), so tests never see each other's
flows and need no cleanup between them.
"""

from __future__ import annotations

import uuid
from typing import Any

from pgflowstate import RequestContext


def new_context() -> RequestContext:
    return RequestContext(
        client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4()
    )


def new_doc(flow_id: uuid.UUID, phase: str = "data_import", completed: tuple[str, ...] = (),
            **state_data: Any) -> dict[str, Any]:
    """A minimal valid discovery document."""
    return {
        "flow_id": str(flow_id),
        "current_phase": phase,
        "phases_completed": list(completed),
        "state_data": state_data,
    }
