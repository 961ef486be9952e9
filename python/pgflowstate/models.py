"""Typed views of what flowstate's functions return.

Types only: every rule (phases, required fields, versions) lives in SQL, and unknown keys are
kept (``extra="allow"``) so a document round-trips and SQL can report fields it does not know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .codec import restore

Status = Literal["running", "paused", "recovered", "completed", "failed"]


class RequestContext(BaseModel):
    """Who is calling: the tenant (client account, engagement) and the user."""

    model_config = ConfigDict(frozen=True)

    client_account_id: UUID
    engagement_id: UUID
    user_id: UUID

    def jsonb(self) -> dict[str, str]:
        """The ``p_context`` argument, ready to encode as JSON."""
        return {
            "client_account_id": str(self.client_account_id),
            "engagement_id": str(self.engagement_id),
            "user_id": str(self.user_id),
        }


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: UUID
    phase: str | None = None
    label: str | None = None
    flow_version: int | None = None
    created_at: datetime | None = None


class CheckpointPage(BaseModel):
    """One page of ``flow_checkpoints``: checkpoints newest first, and ``next``, the ``after``
    of the following page (None after the last)."""

    model_config = ConfigDict(extra="allow")

    checkpoints: list[Checkpoint] = Field(default_factory=list)
    next: UUID | None = None


class Lineage(BaseModel):
    """Where a fork came from: the flow and version ``flow_fork`` started it from."""

    model_config = ConfigDict(extra="allow")

    flow_id: UUID
    flow_version: int


class FlowState(BaseModel):
    """One flow's document as the database stored it.

    ``state_data`` is None when the call did not return it (``transition_phase``: the database
    skips sending a large state back when it did not change; load the flow to read it).
    ``restored_checkpoint_id`` is set by ``recover_failed`` only: the checkpoint it restored. It
    is not part of the document (``document()`` and ``model_dump()`` leave it out).
    """

    model_config = ConfigDict(extra="allow")

    flow_id: UUID
    flow_type: str | None = None
    flow_version: int | None = None
    current_phase: str | None = None
    phases_completed: list[str] = Field(default_factory=list)
    status: Status | None = None
    failed_phase: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    state_data: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    restored_checkpoint_id: UUID | None = Field(default=None, exclude=True)
    forked_from: Lineage | None = None

    @field_validator("state_data", mode="before")
    @classmethod
    def _exact_values(cls, value: Any) -> Any:
        # As stored: the values jsonb cannot hold are put back (see codec.object_json).
        return restore(value)

    def document(self) -> dict[str, Any]:
        """The document as JSON-ready data, e.g. to save it back after a change.

        Declared fields that are None are left out (absent, not null); extra keys stay as is.
        """
        doc = self.model_dump(mode="json")
        for name in type(self).model_fields:
            if name in doc and doc[name] is None:
                del doc[name]
        return doc


class CorruptionReport(BaseModel):
    """What ``flow_handle_corrupted`` did: where the bad document was archived, what was wrong
    with it, and the flow's reset document (the new current version)."""

    model_config = ConfigDict(extra="allow")

    quarantine_id: UUID
    errors: list[str] = Field(default_factory=list)
    document: FlowState


class HistoryEntry(BaseModel):
    """One row of ``flow_history``: one audited event of a flow.

    ``changes`` holds ``[[path], value]`` sets and ``[[path]]`` deletions; it is None where the
    row holds a full copy of the state instead (``snapshot`` True) or changed no state
    (checkpoint, archive). ``label`` is the method name of a put, the checkpoint id of a
    checkpoint or recovery, the quarantine id of an archive or reset.
    """

    model_config = ConfigDict(extra="allow")

    audit_id: int
    logged_at: datetime
    operation: str
    old_version: int | None = None
    new_version: int | None = None
    old_phase: str | None = None
    new_phase: str | None = None
    actor_user_id: UUID | None = None
    actor_role: str | None = None
    label: str | None = None
    changes: list[Any] | None = None
    snapshot: bool = False


class DiffEntry(BaseModel):
    """One row of ``flow_diff``: a changed path (``["state_data", "mappings", "x"]``), how it
    changed (``added``, ``removed``, ``changed``) and its two values (None where absent; a JSON
    null is None too, and ``change`` tells the two apart)."""

    model_config = ConfigDict(extra="allow")

    path: list[str]
    change: str
    old_value: Any = None
    new_value: Any = None


class LegacyEntry(BaseModel):
    """One row of ``flow_legacy_history``: a CrewAI SQLite row an imported flow came from.

    ``state`` is the row as jsonb (mapped where jsonb cannot hold the text: ``mapped`` says
    how); ``state_text`` is the exact original text and ``legacy_timestamp`` the original
    timestamp text."""

    model_config = ConfigDict(extra="allow")

    legacy_id: int
    method_name: str | None = None
    legacy_timestamp: str | None = None
    state: Any = None
    mapped: list[str] = Field(default_factory=list)
    state_text: str | None = None
    state_sha256: str | None = None


class Alert(BaseModel):
    """An alert sent on channel ``flowstate_alerts`` by recovery and corruption handling.

    The notification itself carries only ``event`` and ``alert_id`` (any role can LISTEN, so it
    names no flow and no tenant). The other fields are the details ``flowstate.flow_alert``
    gives the flow's tenant (or an admin): ``listen_alerts`` and ``FlowStateStore.alert`` fill
    them in. Event-specific fields are kept as extras: ``restored`` (the checkpoint id) for
    ``flow_recovered``; ``quarantine_id``, ``archived_version`` and ``errors`` for
    ``corrupted_state_reset``. ``payload`` is the notification's text as received; ``event``
    is None only when that text is not a JSON object (kept rather than dropped).
    """

    model_config = ConfigDict(extra="allow")

    event: str | None = None
    alert_id: UUID | None = None
    flow_id: UUID | None = None
    flow_type: str | None = None
    flow_version: int | None = None
    current_phase: str | None = None
    client_account_id: UUID | None = None
    engagement_id: UUID | None = None
    actor_user_id: UUID | None = None
    actor_role: str | None = None
    at: datetime | None = None
    payload: str = ""


class SearchPage(BaseModel):
    """One page of ``flow_search``: documents without ``state_data`` (None), most recently
    updated first, and ``next``, the cursor of the following page (None after the last)."""

    model_config = ConfigDict(extra="allow")

    flows: list[FlowState] = Field(default_factory=list)
    next: str | None = None


class FlowCount(BaseModel):
    """One row of ``flow_counts``: how many flows have this type, phase and status."""

    flow_type: str
    current_phase: str
    status: Status
    flows: int


class ActivityBucket(BaseModel):
    """One bucket of ``flow_activity``: the writes to flows from ``start`` for one bucket."""

    start: datetime
    writes: int


class QuarantinedFlow(BaseModel):
    """A flow with a quarantined document (``flow_activity``), as it is now."""

    flow_id: UUID
    flow_type: str
    current_phase: str
    status: Status
    archived_at: datetime


class QuarantineCounts(BaseModel):
    """Quarantined documents (``flow_activity``): of how many flows, how many, how many were
    archived since the activity's ``since``, and the flows archived last (at most 10)."""

    flows: int
    documents: int
    since: int
    newest: list[QuarantinedFlow] = Field(default_factory=list)


class Activity(BaseModel):
    """``flow_activity``: writes to flows per bucket (oldest first, empty ones included) from
    ``since`` to ``as_of``, and what is quarantined."""

    as_of: datetime
    since: datetime
    bucket: str
    buckets: list[ActivityBucket]
    quarantined: QuarantineCounts


class Tombstone(BaseModel):
    """What an erasure left (``flow_delete``, retention): the flow, its tenant, who, when, why
    and the rows removed per table; never content. ``action`` is ``delete`` or ``compact``
    (then ``kept_from_version`` is the oldest version that still rebuilds)."""

    model_config = ConfigDict(extra="allow")

    erasure_id: int
    flow_id: UUID
    action: Literal["delete", "compact"]
    client_account_id: UUID | None = None
    engagement_id: UUID | None = None
    flow_version: int | None = None
    kept_from_version: int | None = None
    erased_by: dict[str, Any] = Field(default_factory=dict)
    erased_at: datetime
    reason: str
    rows: dict[str, int] = Field(default_factory=dict)


class RetentionItem(BaseModel):
    """A flow a retention run acted on (or would, in a dry run)."""

    model_config = ConfigDict(extra="allow")

    flow_id: UUID
    flow_type: str
    action: Literal["delete", "compact"]
    terminal_since: datetime


class RetentionRule(BaseModel):
    """A retention policy (``flow_retention_policies``): ``action`` once a flow of
    ``flow_type`` (None: the default, for types without rules of their own) has been in a
    terminal phase for ``after``. In ``rules``, ``is_default`` says the type follows the
    default."""

    model_config = ConfigDict(extra="allow")

    flow_type: str | None = None
    action: Literal["delete", "compact"]
    after: str
    after_seconds: int
    description: str | None = None
    is_default: bool | None = None


class RetentionPolicies(BaseModel):
    """``flow_retention_policies``: the policies as stored and the rule in force per flow
    type and action."""

    model_config = ConfigDict(extra="allow")

    policies: list[RetentionRule] = Field(default_factory=list)
    rules: list[RetentionRule] = Field(default_factory=list)


class RetentionRun(BaseModel):
    """What ``flow_retention_run`` did (or would do: ``dry_run``). ``busy``: another run held
    the lock, nothing was done. ``more``: flows are left for the next run (past the limit,
    or locked)."""

    model_config = ConfigDict(extra="allow")

    dry_run: bool
    busy: bool
    deleted: int
    compacted: int
    flows: list[RetentionItem] = Field(default_factory=list)
    rows: dict[str, int] = Field(default_factory=dict)
    more: bool


class TenantErasure(BaseModel):
    """One batch of ``flow_erase_tenant``: how many flows went, the rows removed per table, and
    whether more are left (run it again)."""

    model_config = ConfigDict(extra="allow")

    client_account_id: UUID
    engagement_id: UUID | None = None
    erased: int
    rows: dict[str, int] = Field(default_factory=dict)
    more: bool
