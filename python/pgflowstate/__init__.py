"""pgflowstate: PostgreSQL as the single source of truth for AI-agent flow state.

The rules live in the database (schema ``flowstate``); this package is a thin asyncpg wrapper.
"""

from .errors import (
    ConcurrentModificationError,
    FlowExistsError,
    FlowNotFoundError,
    InvalidTransitionError,
    StateError,
    StateRecoveryError,
    StateValidationError,
)
from .manager import FlowStateManager, FlowStateValidator
from .models import Checkpoint, FlowState, RequestContext
from .store import FlowStateStore, NoResetConnection, create_pool

__all__ = [
    "Checkpoint",
    "ConcurrentModificationError",
    "FlowExistsError",
    "FlowNotFoundError",
    "FlowState",
    "FlowStateManager",
    "FlowStateStore",
    "FlowStateValidator",
    "InvalidTransitionError",
    "NoResetConnection",
    "RequestContext",
    "StateError",
    "StateRecoveryError",
    "StateValidationError",
    "create_pool",
]
