"""pgflowstate: PostgreSQL as the single source of truth for AI-agent flow state.

The rules live in the database (schema ``flowstate``); this package is a thin asyncpg wrapper.
"""

from .alerts import ALERT_CHANNEL, AlertStream, listen_alerts
from .errors import (
    ConcurrentModificationError,
    FlowBusyError,
    FlowExistsError,
    FlowNotFoundError,
    InvalidTransitionError,
    StateError,
    StateRecoveryError,
    StateValidationError,
)
from .manager import FlowStateManager, FlowStateValidator
from .models import (
    Alert,
    Checkpoint,
    CheckpointPage,
    CorruptionReport,
    DiffEntry,
    FlowState,
    HistoryEntry,
    RequestContext,
)
from .recovery import FlowStateRecovery
from .store import FlowStateStore, NoResetConnection, create_pool

__all__ = [
    "ALERT_CHANNEL",
    "Alert",
    "AlertStream",
    "Checkpoint",
    "CheckpointPage",
    "ConcurrentModificationError",
    "CorruptionReport",
    "DiffEntry",
    "FlowBusyError",
    "FlowExistsError",
    "FlowNotFoundError",
    "FlowState",
    "FlowStateManager",
    "FlowStateRecovery",
    "FlowStateStore",
    "FlowStateValidator",
    "HistoryEntry",
    "InvalidTransitionError",
    "MigrationReport",
    "NoResetConnection",
    "RequestContext",
    "StateError",
    "StateMigrator",
    "StateRecoveryError",
    "StateValidationError",
    "create_pool",
    "listen_alerts",
]


def __getattr__(name: str):
    # Imported on first use: `python -m pgflowstate.migrator` must not find the module
    # imported already (runpy warns).
    if name in ("MigrationReport", "StateMigrator"):
        from . import migrator

        return getattr(migrator, name)
    raise AttributeError(f"module 'pgflowstate' has no attribute {name!r}")
