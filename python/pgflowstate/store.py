"""FlowStateStore: one method per SQL function, one statement round trip per call.

Every rule lives in schema ``flowstate``; this module encodes arguments, calls the function with
named notation (SQL owns the defaults), maps FS00x errors and types the result. A call whose
connection is lost is sent again (see retry.py): a write with the request id it was given
once, so that it never applies twice.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Union
from uuid import UUID, uuid4

import asyncpg

from . import arguments
from .arguments import INTEGER
from .coalesce import Coalescer, Write, coalesce_parallel, items_json
from .codec import decode_json, document_json, encode_json, restore
from .errors import StateValidationError, encoding_error, error_from, sqlstate_errors
from .metrics import observed
from .models import (
    Activity,
    Alert,
    CheckpointPage,
    CorruptionReport,
    DiffEntry,
    FlowCount,
    FlowState,
    HistoryEntry,
    LegacyEntry,
    RequestContext,
    RetentionPolicies,
    RetentionRun,
    SearchPage,
    TenantErasure,
    Tombstone,
)
from .pool import DEFAULT_LOCK_TIMEOUT, ConnectionLane, milliseconds
from .retry import call

# A state is a document (mapping or FlowState) or JSON text, which is sent as is so that
# PostgreSQL itself judges it (malformed text becomes StateValidationError).
State = Union[Mapping[str, Any], FlowState, str]
FlowId = Union[UUID, str]

# Writes are function calls, made statements by _statement. p_request_id comes last: one
# request id per logical call, kept across its retries.
_SAVE = (
    "flowstate.flow_save_state(p_flow_id => $1, p_state => $2,"
    " p_expected_version => $3, p_context => $4, p_request_id => $5)"
)
_PUT = (
    "flowstate.flow_put_state(p_flow_id => $1, p_state => $2,"
    " p_label => $3, p_context => $4, p_request_id => $5)"
)
_TRANSITION = (
    "flowstate.flow_transition_phase(p_flow_id => $1, p_new_phase => $2,"
    " p_expected_version => $3, p_context => $4, p_request_id => $5)"
)
_CHECKPOINT = (
    "flowstate.flow_create_checkpoint(p_flow_id => $1, p_phase => $2, p_label => $3,"
    " p_context => $4, p_request_id => $5)"
)
_RECOVER = (
    "flowstate.flow_recover_from_checkpoint(p_flow_id => $1, p_checkpoint_id => $2,"
    " p_expected_version => $3, p_context => $4, p_request_id => $5)"
)
_RECOVER_FAILED = "flowstate.flow_recover_failed(p_flow_id => $1, p_context => $2, p_request_id => $3)"
_HANDLE_CORRUPTED = "flowstate.flow_handle_corrupted(p_flow_id => $1, p_context => $2, p_request_id => $3)"
# Each item carries its own request id.
_SAVE_MANY = "flowstate.flow_save_states(p_items => $1, p_context => $2, p_atomic => $3)"

# Loads take the document and its state_data apart (see flow_load_state_parts) and assemble
# them here: SQL building them into one jsonb would walk the whole state again.
_LOAD = "select document, state_data from flowstate.flow_load_state_parts(p_flow_id => $1, p_context => $2)"
_VALIDATE = "select flowstate.flow_validate_state(p_state => $1)"
_VALIDATE_TRANSITION = (
    "select flowstate.flow_validate_phase_transition(p_state => $1, p_new_phase => $2)"
)
# As text, so that a connection without create_pool's codecs (an alert listener's) decodes alike.
_ALERT = "select flowstate.flow_alert(p_alert_id => $1, p_context => $2)::text"
_HISTORY = (
    "select * from flowstate.flow_history(p_flow_id => $1, p_context => $2, p_since => $3,"
    " p_operation => $4, p_limit => $5)"
)
_STATE_AT = "select flowstate.flow_state_at(p_flow_id => $1, p_version => $2, p_context => $3)"
_LEGACY_HISTORY = "select * from flowstate.flow_legacy_history(p_flow_id => $1, p_context => $2)"
_LOAD_PENDING_FEEDBACK = "select flowstate.flow_load_pending_feedback(p_flow_id => $1, p_context => $2)"
_LOAD_MANY = (
    "select flow_id, document, state_data from flowstate.flow_load_states_parts(p_flow_ids => $1, p_context => $2)"
)
_CHECKPOINTS = (
    "select flowstate.flow_checkpoints(p_flow_id => $1, p_context => $2, p_after => $3, p_limit => $4)"
)
# Values as JSON text, decoded here: a jsonb string such as "x" would otherwise arrive as
# the Python str 'x' from create_pool's codec and as '"x"' from a plain pool.
_DIFF = (
    "select path, change, old_value::text as old_value, new_value::text as new_value"
    " from flowstate.flow_diff(p_flow_id => $1, p_from_version => $2, p_to_version => $3,"
    " p_context => $4)"
)


@functools.lru_cache(maxsize=None)
def _statement(function_call: str, lock_timeout: bool) -> str:
    """The statement for a write. With ``lock_timeout``, one more argument sets lock_timeout
    for this statement's own transaction only (set_config(..., true)), so it holds on any
    pool, PgBouncer's included, costs no round trip and leaves nothing on the connection. The
    subquery's row is read before the call is computed from it, so the setting comes first."""
    if not lock_timeout:
        return f"select {function_call}"
    setting = max(int(n) for n in re.findall(r"\$(\d+)", function_call)) + 1
    return f"select {function_call} from (select set_config('lock_timeout', ${setting}, true)) as lock_timeout"


# -- store --------------------------------------------------------------------------------


def _flow_id(value: FlowId, name: str = "flow_id") -> UUID:
    return arguments.uuid(value, name)


def _outgoing(state: State, phase: str | None = None) -> tuple[str, Mapping[str, Any] | None]:
    """The JSON text to send, and the document it encodes (None for text sent as is)."""
    phase = arguments.text(phase, "phase")
    try:
        if isinstance(state, str) and phase is None:
            return state, None
        doc: Mapping[str, Any]
        if isinstance(state, FlowState):
            doc = state.document()
        elif isinstance(state, str):
            doc = decode_json(state)
        else:
            doc = state
        if phase is not None:
            doc = {**doc, "current_phase": phase}  # a copy: the caller's dict is not touched
        return document_json(doc), doc
    except (TypeError, ValueError, RecursionError) as exc:
        raise encoding_error(exc) from exc


def _incoming(value: Any) -> Any:
    # A plain pool hands jsonb over as text; create_pool's codec has decoded it already.
    return decode_json(value) if isinstance(value, str) else value


def document_from_parts(parts: Mapping[str, Any]) -> FlowState:
    """The document flow_load_state returns, from flow_load_state_parts' two columns (decoded,
    or JSON text).

    state_data is put in after validation, with its exact values back (as FlowState's
    validator would): stored, it is a JSON object (the column's domain), so there is nothing
    to check, and validating it would copy it (its top level: 70 us for 850 keys)."""
    document = FlowState.model_validate(_incoming(parts["document"]))
    document.state_data = restore(_incoming(parts["state_data"]))
    return document


def _json_or_none(text: str | None) -> Any:
    return None if text is None else decode_json(text)


class FlowStateStore:
    """Flow state for one request context (tenant and user), over an asyncpg pool.

    ``pool`` may be from :func:`create_pool` or a plain ``asyncpg.create_pool`` (whose jsonb
    codec takes JSON text, which is what this class sends; a custom codec must accept str).
    ``context`` None acts across tenants, which only the admin role may do.

    Consecutive queries keep one of the pool's connections (a :class:`ConnectionLane`), which
    goes back to the pool when the event loop turns without a query, or as soon as another
    caller waits. A call whose connection is lost is sent again, up to ``retries`` more times (waiting
    ``retry_backoff`` seconds, then twice as long each time); each write keeps one request id
    across its retries, so a write that committed before its reply was lost returns its first
    result and is never applied twice. A write waits at most ``lock_timeout`` seconds for a
    lock (set in its own statement, so on any pool; None: the connection's setting), then
    raises FlowBusyError with nothing written.

    With ``coalesce`` (the default), saves and puts made while this store has a statement in
    flight on every connection of the pool (so they would wait for one) go together as the
    next batch: one statement and one commit for all of them, each caller still getting its own
    result or exception (see coalesce.py); other saves are sent at once, alone, as without it.
    An integer n lets n statements be in flight before saves queue.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        context: RequestContext | None,
        *,
        lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
        retries: int = 3,
        retry_backoff: float = 0.05,
        coalesce: bool | int = True,
    ) -> None:
        if context is not None and not isinstance(context, RequestContext):
            raise arguments.refuse(f"context must be a RequestContext or None, not {type(context).__name__}.")
        self._pool = pool
        # A pool's queries go through a lane (a connection kept while they follow one another);
        # a connection (the CLI's) is used as it is.
        self._lane = ConnectionLane(pool) if isinstance(pool, asyncpg.Pool) else pool
        self.context = context
        self._context = None if context is None else encode_json(context.jsonb())
        self._lock_timeout = None if lock_timeout is None else milliseconds(lock_timeout)
        self.retries = retries
        self.retry_backoff = retry_backoff
        parallel = coalesce_parallel(coalesce, pool)
        self._coalescer = None if parallel == 0 else Coalescer(self._save_alone, self._save_together, parallel)

    async def _read(self, method: str, query: str, *args: Any, flow_id: object = None,
                    json_param: int | Mapping[int, str] | None = None) -> Any:
        """One read statement, read again after a lost connection."""
        return await call(self._lane, method, query, args, retries=self.retries, backoff=self.retry_backoff,
                          flow_id=flow_id, json_param=json_param)

    async def _write(self, function_call: str, *args: Any, flow_id: object = None,
                     json_param: int | Mapping[int, str] | None = None) -> Any:
        """One write statement (its arguments carry the request id, made by the caller once per
        logical call), sent again with the same arguments after a lost connection."""
        if self._lock_timeout is not None:
            args = (*args, self._lock_timeout)
        return await call(self._lane, "fetchval", _statement(function_call, self._lock_timeout is not None), args,
                          retries=self.retries, backoff=self.retry_backoff, flow_id=flow_id, json_param=json_param)

    @observed
    async def save_state(
        self, flow_id: FlowId, state: State, phase: str | None = None, version: int | None = None
    ) -> FlowState:
        """flowstate.flow_save_state: validate and write the whole document.

        ``version`` None creates the flow (FlowExistsError if the id is taken); an integer is
        the version the caller read, compared and set atomically (ConcurrentModificationError
        when stale, FlowNotFoundError when there is no such flow). ``phase``, if given, is the
        document's ``current_phase`` (the caller's mapping is not modified); a phase change is
        checked like a transition. Returns the stored document with the caller's state_data.
        """
        version = arguments.integer(version, "version")
        text, doc = _outgoing(state, phase)
        key = _flow_id(flow_id)
        write = Write(key, text, doc, version, uuid4())
        stored = await self._save(write)
        return self._with_state_data(stored, text, doc)

    async def _save(self, write: Write) -> Any:
        # Text sent as is (doc None) is PostgreSQL's to judge, so it never joins a batch.
        if self._coalescer is None or write.doc is None:
            return await self._save_alone(write)
        return await self._coalescer.save(write)

    async def _save_alone(self, write: Write) -> Any:
        return await self._write(_PUT if write.put else _SAVE, write.flow_id, write.text,
                                 write.label if write.put else write.version, self._context, write.request_id,
                                 flow_id=write.flow_id, json_param=2)

    async def _save_together(self, writes: list[Write]) -> list[Any]:
        return _incoming(await self._write(_SAVE_MANY, items_json(writes), self._context, False, json_param=1))

    @observed
    async def put_state(self, flow_id: FlowId, state: State, label: str | None = None) -> FlowState:
        """flowstate.flow_put_state: create or replace without a version check (last writer
        wins), validated and audited like a save; ``label`` (e.g. the method name) is recorded."""
        label = arguments.text(label, "label")
        text, doc = _outgoing(state)
        key = _flow_id(flow_id)
        write = Write(key, text, doc, None, uuid4(), put=True, label=label)
        stored = await self._save(write)
        return self._with_state_data(stored, text, doc)

    @observed
    async def load_state(self, flow_id: FlowId) -> FlowState | None:
        """flowstate.flow_load_state: the current document, or None (missing or another tenant's).
        Read through flow_load_state_parts, which returns the same document in two parts."""
        key = _flow_id(flow_id)
        parts = await self._read("fetchrow", _LOAD, key, self._context, flow_id=key)
        return None if parts is None else document_from_parts(parts)

    @observed
    async def flow_id_for(self, external_id: str) -> UUID:
        """flowstate.flow_id_for: the flow id of an external id (a CrewAI flow id) in this
        store's tenant; a canonical UUID is its own flow id. StateValidationError without a
        tenant (for any other string)."""
        external_id = arguments.text(external_id, "external_id", optional=False)
        return await self._read("fetchval", "select flowstate.flow_id_for(p_external_id => $1, p_context => $2)",
                                external_id, self._context)

    @observed
    async def transition_phase(
        self, flow_id: FlowId, new_phase: str, version: int | None = None
    ) -> FlowState:
        """flowstate.flow_transition_phase: move to ``new_phase`` if the phase graph allows it
        (InvalidTransitionError otherwise). ``version`` None skips the version check (still
        atomic). The result has ``state_data`` None: the state did not change, so the database
        does not send it back."""
        new_phase = arguments.text(new_phase, "new_phase", optional=False)
        version = arguments.integer(version, "version")
        key = _flow_id(flow_id)
        doc = await self._write(_TRANSITION, key, new_phase, version, self._context, uuid4(), flow_id=key)
        return FlowState.model_validate(_incoming(doc))

    @observed
    async def create_checkpoint(
        self, flow_id: FlowId, phase: str | None = None, label: str | None = None
    ) -> UUID:
        """flowstate.flow_create_checkpoint: snapshot the flow as it is now; returns the
        checkpoint id. ``phase`` None means the current phase (otherwise the current or a
        completed one). The version does not change; the checkpoint is audited and listed in
        the document's ``checkpoints`` (the newest of them: see ``list_checkpoints``)."""
        phase = arguments.text(phase, "phase")
        label = arguments.text(label, "label")
        key = _flow_id(flow_id)
        return await self._write(_CHECKPOINT, key, phase, label, self._context, uuid4(), flow_id=key)

    @observed
    async def recover_from_checkpoint(
        self, flow_id: FlowId, checkpoint_id: UUID | str, version: int | None = None
    ) -> FlowState:
        """flowstate.flow_recover_from_checkpoint: restore the checkpoint's phase, completed
        phases and state_data as the next version, status ``recovered`` (history is never
        rewritten). ``version`` None skips the version check. Returns the whole document.
        StateRecoveryError when the flow has no such checkpoint or its snapshot no longer
        validates."""
        version = arguments.integer(version, "version")
        key = _flow_id(flow_id)
        doc = await self._write(_RECOVER, key, _flow_id(checkpoint_id, "checkpoint_id"), version, self._context,
                                uuid4(), flow_id=key)
        return FlowState.model_validate(_incoming(doc))

    @observed
    async def recover_failed(self, flow_id: FlowId) -> FlowState:
        """flowstate.flow_recover_failed: restore the newest checkpoint whose snapshot still
        validates (StateRecoveryError when none does). Returns the whole document."""
        key = _flow_id(flow_id)
        doc = await self._write(_RECOVER_FAILED, key, self._context, uuid4(), flow_id=key)
        return FlowState.model_validate(_incoming(doc))

    @observed
    async def handle_corrupted(self, flow_id: FlowId) -> CorruptionReport:
        """flowstate.flow_handle_corrupted: archive the current document unchanged, reset the
        flow to its initial state as the next version, and alert on ``flowstate_alerts``."""
        key = _flow_id(flow_id)
        report = await self._write(_HANDLE_CORRUPTED, key, self._context, uuid4(), flow_id=key)
        return CorruptionReport.model_validate(_incoming(report))

    @observed
    async def alert(self, alert_id: UUID | str) -> Alert | None:
        """flowstate.flow_alert: the details of an alert whose notification named only its
        event and ``alert_id``; None for another tenant's alert or an unknown id."""
        details = await self._read("fetchval", _ALERT, _flow_id(alert_id, "alert_id"), self._context)
        return None if details is None else Alert.model_validate(decode_json(details))

    @observed
    async def history(
        self,
        flow_id: FlowId,
        since: datetime | None = None,
        operation: str | None = None,
        limit: int | None = None,
    ) -> list[HistoryEntry]:
        """flowstate.flow_history: the audit trail, oldest first, optionally from ``since``
        (a naive datetime is local time), of one ``operation``, at most ``limit`` rows. Empty
        for a missing or another tenant's flow."""
        since = arguments.timestamp(since, "since")
        operation = arguments.text(operation, "operation")
        limit = arguments.integer(limit, "limit", bounds=INTEGER)
        key = _flow_id(flow_id)
        rows = await self._read("fetch", _HISTORY, key, self._context, since, operation, limit, flow_id=key)
        return [
            HistoryEntry.model_validate({**row, "changes": _incoming(row["changes"])})
            for row in rows
        ]

    @observed
    async def state_at(self, flow_id: FlowId, version: int) -> FlowState | None:
        """flowstate.flow_state_at: the document as it was at ``version``, or None (unknown
        version, missing or another tenant's flow)."""
        version = arguments.integer(version, "version", optional=False)
        key = _flow_id(flow_id)
        doc = await self._read("fetchval", _STATE_AT, key, version, self._context, flow_id=key)
        return None if doc is None else FlowState.model_validate(_incoming(doc))

    @observed
    async def diff(self, flow_id: FlowId, from_version: int, to_version: int) -> list[DiffEntry]:
        """flowstate.flow_diff: one entry per changed path between two versions, ordered by
        path. Empty when either version is unknown or the flow is not this tenant's."""
        from_version = arguments.integer(from_version, "from_version", optional=False)
        to_version = arguments.integer(to_version, "to_version", optional=False)
        key = _flow_id(flow_id)
        rows = await self._read("fetch", _DIFF, key, from_version, to_version, self._context, flow_id=key)
        return [
            DiffEntry(
                path=row["path"],
                change=row["change"],
                old_value=_json_or_none(row["old_value"]),
                new_value=_json_or_none(row["new_value"]),
            )
            for row in rows
        ]

    @observed
    async def validate_state(self, state: State) -> list[str]:
        """flowstate.flow_validate_state: every problem as a sentence; empty means valid.
        JSON the database cannot even read is reported the same way, not raised."""
        try:
            text, _ = _outgoing(state)
            return list(await self._read("fetchval", _VALIDATE, text, json_param=1))
        except StateValidationError as exc:
            return exc.errors

    @observed
    async def validate_phase_transition(self, state: State, new_phase: str) -> bool:
        """flowstate.flow_validate_phase_transition: may this document move to ``new_phase``?"""
        new_phase = arguments.text(new_phase, "new_phase", optional=False)
        text, _ = _outgoing(state)
        return bool(await self._read("fetchval", _VALIDATE_TRANSITION, text, new_phase, json_param=1))

    @observed
    async def save_states(
        self, items: Iterable[tuple[FlowId, State, int | None]], atomic: bool = False
    ) -> list[FlowState | Exception]:
        """flowstate.flow_save_states: many (flow_id, state, version) saves in one round trip.

        By default each item stands alone: the result has, in order, the stored FlowState of
        each saved item and the StateError (FS00x, as flow_save_state would raise it) of each
        refused one, which changed nothing. ``atomic=True``: all or nothing; the first refusal
        is raised and nothing is saved. Each item is ``(flow_id, state)`` (creates) or
        ``(flow_id, state, version)``; at most max_batch_items of them (flowstate.settings).
        """
        atomic = arguments.boolean(atomic, "atomic")
        writes = []
        for n, item in enumerate(arguments.sequence(items, "items")):
            item = arguments.sequence(item, f"items[{n}]")
            if len(item) not in (2, 3):
                raise arguments.refuse(f"items[{n}] must be (flow_id, state) or (flow_id, state, version), not {len(item)} values.")
            flow_id, state, version = (*item, None)[:3]
            version = arguments.integer(version, f"items[{n}] version")
            text, doc = _outgoing(state)
            if doc is None:  # text: decoded, so one malformed item cannot break the batch's JSON
                doc = decode_json(text)
                text = encode_json(doc)
            writes.append(Write(_flow_id(flow_id, f"items[{n}] flow_id"), text, doc, version, uuid4()))
        answers = _incoming(await self._write(_SAVE_MANY, items_json(writes), self._context, atomic, json_param=1))
        return [
            self._with_state_data(answer["document"], "", w.doc) if answer["ok"] else error_from(answer)
            for answer, w in zip(answers, writes)
        ]

    @observed
    async def load_states(self, flow_ids: Iterable[FlowId]) -> dict[UUID, FlowState]:
        """flowstate.flow_load_states: the documents of many flows in one round trip, by flow
        id; missing ids (and other tenants' flows) are absent. At most max_batch_items ids.
        Read through flow_load_states_parts (each document in two parts)."""
        ids = [_flow_id(f, f"flow_ids[{n}]") for n, f in enumerate(arguments.sequence(flow_ids, "flow_ids"))]
        rows = await self._read("fetch", _LOAD_MANY, ids, self._context)
        return {row["flow_id"]: document_from_parts(row) for row in rows}

    @observed
    async def list_checkpoints(
        self, flow_id: FlowId, after: UUID | str | None = None, limit: int = 50
    ) -> CheckpointPage | None:
        """flowstate.flow_checkpoints: the flow's checkpoints, newest first, ``limit`` at a time
        (a document lists only the newest few). Pass the page's ``next`` as ``after`` for the
        following page; ``next`` is None after the last. None for a missing or another
        tenant's flow."""
        after_id = None if after is None else _flow_id(after, "after")
        limit = arguments.integer(limit, "limit", optional=False, bounds=INTEGER)
        key = _flow_id(flow_id)
        page = await self._read("fetchval", _CHECKPOINTS, key, self._context, after_id, limit, flow_id=key)
        return None if page is None else CheckpointPage.model_validate(_incoming(page))

    @staticmethod
    def _with_state_data(stored: Any, text: str, doc: Mapping[str, Any] | None) -> FlowState:
        # The database does not echo state_data (the caller has it); put the caller's back.
        result = dict(_incoming(stored))
        sent = doc if doc is not None else decode_json(text)
        result["state_data"] = sent.get("state_data") if isinstance(sent, Mapping) else None
        return FlowState.model_validate(result)

    # -- lifecycle: find, fork, erase, expire ------------------------------------------------

    @observed
    async def search(
        self,
        *,
        flow_type: str | None = None,
        phase: str | None = None,
        status: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        external_id: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        parent_flow_id: FlowId | None = None,
        client_account_id: UUID | None = None,
        engagement_id: UUID | None = None,
        quarantined: bool | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> SearchPage:
        """flowstate.flow_search: a page of this tenant's flows (every tenant's for an admin
        store), most recently updated first, without state_data, matching every filter given
        (``metadata`` by containment; ``quarantined`` True: flows with a quarantined document
        of their current life, False: none; a naive datetime is local time). Pass the page's
        ``next`` as ``after`` for the following page; ``limit`` None is the database's
        default (50). StateValidationError lists every problem with the filter."""
        given = {
            "flow_type": flow_type, "phase": phase, "status": status, "metadata": metadata,
            "external_id": external_id, "created_after": created_after,
            "created_before": created_before, "updated_after": updated_after,
            "updated_before": updated_before, "parent_flow_id": parent_flow_id,
            "client_account_id": client_account_id, "engagement_id": engagement_id,
            "quarantined": quarantined,
        }
        search_filter = {key: self._filter_value(value) for key, value in given.items() if value is not None}
        with sqlstate_errors():
            page = await self._lane.fetchval(
                "select flowstate.flow_search(p_filter => $1, p_context => $2, p_after => $3,"
                " p_limit => $4)",
                encode_json(search_filter), self._context, after, limit)
        return SearchPage.model_validate(_incoming(page))

    @observed
    async def counts(self) -> list[FlowCount]:
        """flowstate.flow_counts: how many flows there are by type, phase and status (this
        tenant's, or every tenant's for an admin store)."""
        with sqlstate_errors():
            rows = await self._lane.fetch(
                "select * from flowstate.flow_counts(p_context => $1)", self._context)
        return [FlowCount.model_validate(dict(row)) for row in rows]

    async def activity(self, since: datetime | None = None, bucket: timedelta | None = None) -> Activity:
        """flowstate.flow_activity: writes to flows per ``bucket`` (None: an hour; whole hours)
        from ``since`` (None: 24 hours ago) to now, and the quarantined flows and documents
        (this tenant's, or every tenant's for an admin store). StateValidationError for a
        bucket that is not whole hours, a future ``since`` or too many buckets."""
        with sqlstate_errors():
            activity = await self._lane.fetchval(
                "select flowstate.flow_activity(p_context => $1, p_since => $2, p_bucket => $3)",
                self._context, since, bucket)
        return Activity.model_validate(_incoming(activity))

    @observed
    async def fork(
        self, flow_id: FlowId, version: int | None = None, new_flow_id: FlowId | None = None
    ) -> FlowState:
        """flowstate.flow_fork: a new flow (``new_flow_id``, or a new id) at version 1 with the
        state of ``version`` (None: the current one) of ``flow_id``; its ``forked_from`` names
        the parent. Returns the whole new document. FlowNotFoundError for a flow or version
        this tenant cannot see (nothing is created), FlowExistsError for an id in use,
        FlowErasedError for an erased one."""
        with sqlstate_errors():
            doc = await self._lane.fetchval(
                "select flowstate.flow_fork(p_flow_id => $1, p_version => $2, p_new_flow_id => $3,"
                " p_context => $4)",
                _flow_id(flow_id), version,
                None if new_flow_id is None else _flow_id(new_flow_id, "new_flow_id"), self._context)
        return FlowState.model_validate(_incoming(doc))

    @observed
    async def delete(self, flow_id: FlowId, reason: str) -> Tombstone:
        """flowstate.flow_delete: erase the flow and all its content, leaving a tombstone (who,
        when, ``reason``, rows removed; no content), which is returned. The id can never be
        used again (FlowErasedError). FlowNotFoundError for a flow this tenant cannot see."""
        with sqlstate_errors():
            tombstone = await self._lane.fetchval(
                "select flowstate.flow_delete(p_flow_id => $1, p_reason => $2, p_context => $3)",
                _flow_id(flow_id), reason, self._context)
        return Tombstone.model_validate(_incoming(tombstone))

    @observed
    async def retention_run(self, limit: int | None = None, dry_run: bool = False) -> RetentionRun:
        """flowstate.flow_retention_run (admin store only): apply the retention policies to at
        most ``limit`` flows (None: the database's default, 1000); ``dry_run`` lists instead.
        Run again while ``more``; ``busy`` means another run was under way."""
        with sqlstate_errors():
            result = await self._lane.fetchval(
                "select flowstate.flow_retention_run(p_limit => $1, p_dry_run => $2)", limit, dry_run)
        return RetentionRun.model_validate(_incoming(result))

    @observed
    async def retention_policies(self) -> RetentionPolicies:
        """flowstate.flow_retention_policies (admin store only): the retention policies and
        the rule in force per flow type."""
        with sqlstate_errors():
            result = await self._lane.fetchval("select flowstate.flow_retention_policies()")
        return RetentionPolicies.model_validate(_incoming(result))

    @observed
    async def erase_tenant(
        self, client_account_id: UUID, engagement_id: UUID | None, reason: str, limit: int | None = None
    ) -> TenantErasure:
        """flowstate.flow_erase_tenant (admin store only): erase up to ``limit`` flows (None:
        the database's default, 1000) of a client account's engagement (None: all of them),
        each with a tombstone. Run again while ``more``."""
        with sqlstate_errors():
            result = await self._lane.fetchval(
                "select flowstate.flow_erase_tenant(p_client_account_id => $1, p_engagement_id => $2,"
                " p_reason => $3, p_limit => $4)",
                client_account_id, engagement_id, reason, limit)
        return TenantErasure.model_validate(_incoming(result))

    @staticmethod
    def _filter_value(value: Any) -> Any:
        # JSON for p_filter: timestamps as ISO text with their offset (a naive one is local
        # time, as asyncpg takes it elsewhere), ids as text.
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.astimezone()).isoformat()
        if isinstance(value, UUID):
            return str(value)
        return value

    @observed
    async def legacy_history(self, flow_id: FlowId) -> list[LegacyEntry]:
        """flowstate.flow_legacy_history: the CrewAI SQLite rows an imported flow came from,
        oldest first (method name, original timestamp, state, exact original text). Empty for a
        flow that was not imported, a missing or another tenant's."""
        with sqlstate_errors():
            rows = await self._lane.fetch(_LEGACY_HISTORY, _flow_id(flow_id), self._context)
        return [LegacyEntry.model_validate({**row, "state": _incoming(row["state"])}) for row in rows]

    @observed
    async def load_pending_feedback(self, flow_id: FlowId) -> dict[str, Any] | None:
        """flowstate.flow_load_pending_feedback: ``{"state", "feedback", "paused_at"}`` of a flow
        paused for human feedback, or None (not paused, missing or another tenant's)."""
        with sqlstate_errors():
            pending = _incoming(await self._lane.fetchval(_LOAD_PENDING_FEEDBACK, _flow_id(flow_id), self._context))
        if pending is not None:  # each with its exact values back (see codec.object_json)
            restore(pending["feedback"])
            restore((pending["state"] or {}).get("state_data"))
        return pending
