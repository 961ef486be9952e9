"""Helpers and fixtures shared by the wrapper tests (imported explicitly by each test module).

Every test makes its own tenant and flow ids (random UUIDs), so tests never see each other's
flows and need no cleanup between them.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import pytest_asyncio

from pgflowstate import FlowStateStore, RequestContext, create_pool


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


@pytest_asyncio.fixture(scope="module")
async def app_pool(app_dsn):
    """A create_pool() pool logged in as the application role (EXECUTE only)."""
    pool = await create_pool(app_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
def store(app_pool) -> FlowStateStore:
    """A store for a fresh tenant."""
    return FlowStateStore(app_pool, new_context())
