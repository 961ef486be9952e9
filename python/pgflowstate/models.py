"""Typed views of what flowstate's functions return.

Types only: every rule (phases, required fields, versions) lives in SQL, and unknown keys are
kept (``extra="allow"``) so a document round-trips and SQL can report fields it does not know.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

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
    created_at: datetime | None = None


class FlowState(BaseModel):
    """One flow's document as the database stored it.

    ``state_data`` is None when the call did not return it (``transition_phase``: the database
    skips sending a large state back when it did not change; load the flow to read it).
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

    def document(self) -> dict[str, Any]:
        """The document as JSON-ready data, e.g. to save it back after a change.

        Declared fields that are None are left out (absent, not null); extra keys stay as is.
        """
        doc = self.model_dump(mode="json")
        for name in type(self).model_fields:
            if doc.get(name) is None:
                del doc[name]
        return doc
