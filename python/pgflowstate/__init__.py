"""pgflowstate: PostgreSQL as the single source of truth for AI-agent flow state.

The rules live in the database (schema ``flowstate``); this package is a thin asyncpg wrapper.
"""

from .alerts import ALERT_CHANNEL, AlertStream, listen_alerts
from .errors import (
    ConcurrentModificationError,
    FlowBusyError,
    FlowErasedError,
    FlowExistsError,
    FlowNotFoundError,
    InvalidTransitionError,
    StateError,
    StateRecoveryError,
    StateValidationError,
)
from .manager import FlowStateManager, FlowStateValidator
from .migrator import MigrationReport, StateMigrator
from .models import (
    Activity,
    Alert,
    Checkpoint,
    CheckpointPage,
    CorruptionReport,
    DiffEntry,
    FlowCount,
    FlowState,
    HistoryEntry,
    Lineage,
    RequestContext,
    RetentionPolicies,
    RetentionRun,
    SearchPage,
    TenantErasure,
    Tombstone,
)
from .recovery import FlowStateRecovery
from .pool import NoResetConnection, create_pool
from .store import FlowStateStore

__all__ = [
    "ALERT_CHANNEL",
    "Activity",
    "Alert",
    "AlertStream",
    "Checkpoint",
    "CheckpointPage",
    "ConcurrentModificationError",
    "CorruptionReport",
    "DiffEntry",
    "FlowBusyError",
    "FlowCount",
    "FlowErasedError",
    "FlowExistsError",
    "FlowNotFoundError",
    "FlowState",
    "FlowStateManager",
    "FlowStateRecovery",
    "FlowStateStore",
    "FlowStateValidator",
    "HistoryEntry",
    "InvalidTransitionError",
    "Lineage",
    "MigrationReport",
    "NoResetConnection",
    "RequestContext",
    "RetentionPolicies",
    "RetentionRun",
    "SearchPage",
    "StateError",
    "StateMigrator",
    "StateRecoveryError",
    "StateValidationError",
    "TenantErasure",
    "Tombstone",
    "create_pool",
    "listen_alerts",
]

