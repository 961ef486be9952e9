"""Exceptions for the SQLSTATEs that flowstate's functions raise (FS001..FS006, FS008), and FS007.

The database decides; this module only translates. Each FS error carries a JSON DETAIL,
kept whole in ``.detail`` and exposed through a few typed attributes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator
from uuid import UUID

import asyncpg
import orjson


class StateError(Exception):
    """Base of every error raised by the database's flow-state rules."""

    sqlstate: str = ""

    def __init__(self, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail: dict[str, Any] = detail or {}

    @property
    def flow_id(self) -> UUID | None:
        value = self.detail.get("flow_id")
        return UUID(value) if isinstance(value, str) else None


class StateValidationError(StateError):
    """FS001: the document (or context) is invalid; ``errors`` lists every problem at once."""

    sqlstate = "FS001"

    @property
    def errors(self) -> list[str]:
        return list(self.detail.get("errors", []))


class ConcurrentModificationError(StateError):
    """FS002: the expected version is stale."""

    sqlstate = "FS002"

    @property
    def expected(self) -> int | None:
        return self.detail.get("expected")

    @property
    def actual(self) -> int | None:
        return self.detail.get("actual")


class InvalidTransitionError(StateError):
    """FS003: the phase graph does not allow the move."""

    sqlstate = "FS003"

    @property
    def from_phase(self) -> str | None:
        return self.detail.get("from_phase")

    @property
    def to_phase(self) -> str | None:
        return self.detail.get("to_phase")

    @property
    def allowed(self) -> list[str]:
        return list(self.detail.get("allowed") or [])

    @property
    def reason(self) -> str | None:
        return self.detail.get("reason")


class FlowNotFoundError(StateError):
    """FS004: no such flow for this tenant (another tenant's flow looks exactly the same)."""

    sqlstate = "FS004"


class FlowExistsError(StateError):
    """FS005: creating a flow whose id is taken."""

    sqlstate = "FS005"


class StateRecoveryError(StateError):
    """FS006: recovery found nothing it could restore.

    From ``recover_from_checkpoint``: ``checkpoint_id`` is the checkpoint asked for (the flow
    has none such, or its snapshot no longer validates: ``errors`` says why). From
    ``recover_failed``: ``checkpoints_tried`` counts the checkpoints found, none valid.
    """

    sqlstate = "FS006"

    @property
    def reason(self) -> str | None:
        return self.detail.get("reason")

    @property
    def checkpoint_id(self) -> UUID | None:
        value = self.detail.get("checkpoint_id")
        return UUID(value) if isinstance(value, str) else None

    @property
    def checkpoints_tried(self) -> int | None:
        return self.detail.get("checkpoints_tried")

    @property
    def errors(self) -> list[str]:
        return list(self.detail.get("errors") or [])


class FlowBusyError(StateError):
    """FS007: the flow was busy and nothing was written: a lock was held longer than
    ``lock_timeout``, or the call ran longer than ``statement_timeout``. ``timeout`` says which.

    PostgreSQL itself raises 55P03 and 57014 for these (what a psql session sees); the wrapper
    maps them here, since catching them in every write function would cost a subtransaction
    per write. Either way the statement rolled back.
    """

    sqlstate = "FS007"

    @property
    def timeout(self) -> str | None:
        return self.detail.get("timeout")


class FlowErasedError(StateError):
    """FS008: the flow id belongs to an erased flow (flow_delete, retention), and an erased id
    is never used again; ``erased_at`` says when it was erased."""

    sqlstate = "FS008"

    @property
    def erased_at(self) -> datetime | None:
        value = self.detail.get("erased_at")
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None


ERRORS: dict[str, type[StateError]] = {c.sqlstate: c for c in StateError.__subclasses__()}


def error_from(answer: dict[str, Any]) -> StateError | Exception:
    """The exception of one refused item of a batch ({sqlstate, message, detail}), as the
    single call would have raised it."""
    cls = ERRORS.get(answer.get("sqlstate") or "")
    detail = answer.get("detail")
    if cls is None:
        return asyncpg.PostgresError(f"{answer.get('message')} [{answer.get('sqlstate')}]")
    return cls(answer.get("message") or "", detail=detail if isinstance(detail, dict) else {})


def _detail(text: str | None) -> dict[str, Any]:
    try:
        value = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:  # not ours to judge: keep the text rather than lose it
        return {"message": text}
    return value if isinstance(value, dict) else {"message": text}


@contextmanager
def sqlstate_errors(json_param: int | Mapping[int, str] | None = None, flow_id: object = None) -> Iterator[None]:
    """Translate FS00x into StateError subclasses, keeping the asyncpg error as __cause__.

    A lock or statement timeout becomes FlowBusyError (FS007) naming ``flow_id``, the flow
    the call was about (a UUID, or the caller's own id such as a CrewAI flow id).

    ``json_param``: the position ($n) of a caller-supplied JSON argument, the state (or
    {position: name} for several, e.g. {4: "state", 8: "feedback"}). PostgreSQL rejects
    malformed JSON (22P02), \\u0000 (22P05), absurd nesting (54001) or out-of-range numbers while
    binding that parameter, before any function runs, and asyncpg refuses to encode text that
    is not valid Unicode (a lone surrogate); those become StateValidationError too. Only the
    bind of that parameter counts, so a bug inside a function is never disguised.
    """
    try:
        yield
    except asyncpg.PostgresError as exc:
        cls = ERRORS.get(exc.sqlstate or "")
        if cls is not None:
            raise cls(exc.message, detail=_detail(exc.detail)) from exc
        busy = _busy_error(exc, flow_id)
        if busy is not None:
            raise busy from exc
        names = json_param if isinstance(json_param, Mapping) else {json_param: "state"}
        for position, name in names.items():
            if position is None or not _binding_failed(exc, position):
                continue
            if isinstance(exc.__cause__, UnicodeEncodeError):  # asyncpg could not even encode it
                cause = exc.__cause__
                sentence = f"The {name} is not valid Unicode text: {cause.reason} at position {cause.start}."
            else:
                sentence = f"The {name} is not valid JSON for PostgreSQL: {exc.message}"
            if exc.detail:
                sentence += f" ({exc.detail})"
            raise StateValidationError(sentence, detail={"errors": [sentence]}) from exc
        raise


def _busy_error(exc: asyncpg.PostgresError, flow_id: object) -> FlowBusyError | None:
    if isinstance(exc, asyncpg.LockNotAvailableError):
        timeout = "lock_timeout"
    elif isinstance(exc, asyncpg.QueryCanceledError) and "statement timeout" in exc.message:
        timeout = "statement_timeout"  # not a cancel on request, which is no timeout
    else:
        return None
    detail: dict[str, Any] = {"timeout": timeout, "sqlstate": exc.sqlstate}
    if isinstance(flow_id, UUID):
        detail["flow_id"] = str(flow_id)
    elif flow_id is not None:
        detail["external_id"] = str(flow_id)
    name = "" if flow_id is None else f" {flow_id}"
    return FlowBusyError(f"flow{name} is busy ({timeout} ran out: {exc.message}); nothing was written",
                         detail=detail)


def _binding_failed(exc: asyncpg.PostgresError, position: int) -> bool:
    # PostgreSQL's bind error context reads "unnamed portal parameter $2" (or
    # 'portal "x" parameter $2'), optionally followed by " = '...'"; asyncpg's own encoding
    # error (a DataError raised before sending) reads "invalid input for query argument $2: ...".
    context = getattr(exc, "context", None) or ""
    return (re.search(rf"portal\b[^\n]* parameter \${position}\b", context) is not None
            or str(exc).startswith(f"invalid input for query argument ${position}:"))


def encoding_error(exc: Exception) -> StateValidationError:
    """A state that cannot be written as JSON at all (Python side), as a validation error."""
    sentence = f"The state cannot be encoded as JSON: {exc}"
    error = StateValidationError(sentence, detail={"errors": [sentence]})
    error.__cause__ = exc
    return error
