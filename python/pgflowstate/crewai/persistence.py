"""CrewAI flow persistence in PostgreSQL: ``@persist(PostgresFlowPersistence(...))``.

A drop-in for CrewAI's own backend (``pip install pgflowstate[crewai]``)::

    from crewai.flow.flow import Flow, start
    from crewai.flow.persistence import persist
    from pgflowstate.crewai import PostgresFlowPersistence

    @persist(PostgresFlowPersistence())
    class MyFlow(Flow[MyState]): ...

With no arguments it connects where the CLI does (``$DATABASE_URL``, else the local server,
started on first use) as the tenant the CLI uses (``$PGFLOWSTATE_CLIENT_ACCOUNT_ID``,
``$PGFLOWSTATE_ENGAGEMENT_ID``, ``$PGFLOWSTATE_USER_ID``, else on the local server only
``pgflowstate.server.LOCAL_TENANT``): see pgflowstate.server. ``use_postgres()`` makes it
CrewAI's default for the whole process.

Every persisted method call is one atomic statement (``flowstate.flow_record_step``): the state
becomes the flow's next version, the method name is recorded in the audit trail and the method
(or ``phase_map[method]``) becomes the current phase of an open ``crewai`` flow type. CrewAI's
flow ids (any string) map to flow ids in SQL (``flowstate.flow_id_for``), in the same statement.

CrewAI's interface is synchronous and is called both from worker threads (``save_state``) and
on the event loop's own thread (``load_state``, pending feedback). Each persistence object lends
up to ``max_connections`` connections, each with an event loop of its own, to the threads that
call it: a call runs on its own thread (no hop to a shared loop thread and back, which made
concurrent flows wait on each other), and a call from a thread that runs an event loop is run
by a helper thread while it waits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import selectors
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID, uuid4

import asyncpg
from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator

try:
    from crewai.events import crewai_event_bus
    from crewai.events.types.flow_events import FlowFinishedEvent
    from crewai.flow.async_feedback.types import PendingFeedbackContext
    from crewai.flow.runtime import Flow  # the base of crewai.flow.flow.Flow
    from crewai.flow.persistence.base import FlowPersistence
except ImportError as exc:  # exercised by test_importing_pgflowstate_without_crewai
    raise ImportError(
        "pgflowstate.crewai needs CrewAI: pip install 'pgflowstate[crewai]'"
    ) from exc

from .. import arguments, server
from ..codec import crewai_default as _json_default
from ..codec import crewai_state_json as state_json
from ..codec import decode_json, encode_json, object_json, restore
from ..connection import ConnectionFailed, DatabaseError, SetupError, asyncpg_url, describe, one_line, redacted
from ..errors import StateError
from ..pool import DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, create_pool, is_open
from ..retry import call, connection_lost
from ..schema import SchemaMissingError, schema_ready

if TYPE_CHECKING:
    from collections.abc import Coroutine

__all__ = ["PostgresFlowPersistence"]

log = logging.getLogger("pgflowstate.crewai")

# The flow id: $11 once the database has mapped the CrewAI id ($1), else flow_id_for (see
# PostgresFlowPersistence._flow_ids). Returns the new version and the flow id.
_RECORD_STEP = (
    "select d ->> 'flow_version', (d ->> 'flow_id')::uuid from (select flowstate.flow_record_step("
    "p_flow_id => coalesce($11, flowstate.flow_id_for($1, $2)),"
    " p_phase => $3, p_state_data => $4, p_label => $5, p_context => $2,"
    " p_expected_version => $6, p_external_id => $1, p_flow_type => $7, p_feedback => $8,"
    " p_request_id => $9, p_metadata => $10) as d) s"
)
# Finished: a metadata-only step (phase and state as stored), labelled as CrewAI labels its own
# internal saves (_ask_checkpoint).
FINISHED_LABEL = "_flow_finished"
_FINISHED = encode_json({"crewai_finished": True})
# In parts: state_data as stored, not built into the document and taken out of it again (two
# walks of the whole state).
_LOAD = (
    "select p.state_data, (p.document ->> 'flow_version')::bigint, (p.document ->> 'flow_id')::uuid"
    " from flowstate.flow_load_state_parts(coalesce($3, flowstate.flow_id_for($1, $2)), $2) p"
)
_LOAD_PENDING = (
    "select p -> 'state' -> 'state_data', p -> 'feedback',"
    " (p -> 'state' ->> 'flow_version')::bigint"
    " from (select flowstate.flow_load_pending_feedback(flowstate.flow_id_for($1, $2), $2) as p) s"
)
_CLEAR_PENDING = (
    "select flowstate.flow_clear_pending_feedback(flowstate.flow_id_for($1, $2), $2, p_request_id => $3)"
)
_FLOW_ID = "select flowstate.flow_id_for($1, $2)"
_CHECKPOINT = (
    "select flowstate.flow_create_checkpoint(p_flow_id => flowstate.flow_id_for($1, $2),"
    " p_phase => null, p_label => $3, p_context => $2, p_request_id => $4)"
)
_RECOVER_FAILED = (
    "select d -> 'state_data', (d ->> 'flow_version')::bigint from (select"
    " flowstate.flow_recover_failed(flowstate.flow_id_for($1, $2), $2, p_request_id => $3) as d) s"
)


class _LazySelector(selectors.DefaultSelector):
    """The slots' selector: a look for I/O in passing (timeout 0: the loop has callbacks ready
    to run) makes no system call. Each call lets go of the GIL, and with CrewAI's threads busy
    getting it back can take a switch interval (5 ms); a call on a slot made about ten looks,
    seven of them in passing. I/O is read when the ready callbacks run out (the loop then
    waits), and a run of looks in passing ends in a real one, so I/O is never starved."""

    SKIPPED_IN_A_ROW = 8

    def __init__(self) -> None:
        super().__init__()
        self._skipped = 0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout <= 0 and self._skipped < self.SKIPPED_IN_A_ROW:
            self._skipped += 1
            return []
        self._skipped = 0
        return super().select(timeout)


class _Slot:
    """An event loop that no thread keeps running, with a one-connection asyncpg pool on it:
    whichever thread holds the slot runs a call on it to completion (run_until_complete).
    The slot holds its pool's connection from one call to the next (only one thread uses a slot
    at a time): taking it from the pool and giving it back cost each call more Python than the
    rest of its client side (a task, a timer and two futures each way), all of it holding the
    GIL that CrewAI's threads wait for. A connection found closed goes back to the pool, which
    connects again."""

    def __init__(self, dsn: str | None, timeouts: dict[str, float | None]) -> None:
        self.loop = asyncio.SelectorEventLoop(_LazySelector())
        self.dsn, self.timeouts = dsn, timeouts
        self.pool: asyncpg.Pool | None = None
        self.held: asyncpg.Connection | None = None
        self.last_used = time.monotonic()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        if self.pool is None:
            # min_size 0: the connection opens on first use (and again after it was lost).
            self.pool = self.loop.run_until_complete(
                create_pool(self.dsn, min_size=0, max_size=1, **self.timeouts))
        _current.slot = self
        try:
            return self.loop.run_until_complete(coroutine)
        finally:
            _current.slot = None
            self.last_used = time.monotonic()

    async def connection(self) -> asyncpg.Connection:
        """The held connection; a closed one (lost) is given back and a new one taken."""
        if self.held is not None:
            if is_open(self.held):
                return self.held
            await self._give_back()
        self.held = await self.pool.acquire()
        return self.held

    async def _give_back(self) -> None:
        held, self.held = self.held, None
        if held is not None:
            await self.pool.release(held)

    async def _close_pool(self) -> None:
        await self._give_back()
        await self.pool.close()

    def close(self, graceful: bool = True) -> None:
        """Close the connection (``graceful``: say goodbye to the server, waiting up to 10 s)
        and the loop."""
        if self.loop.is_closed():
            return
        try:
            if self.pool is not None:
                if graceful and _running_loop() is None:
                    self.loop.run_until_complete(asyncio.wait_for(self._close_pool(), 10))
                else:  # interrupted mid-call, or on a thread running a loop: drop it
                    self.held = None
                    self.pool.terminate()
        finally:
            self.loop.close()


class _Bridge:
    """Up to ``max_connections`` slots, each a connection with its own event loop, lent to the
    calling thread: a call runs on the thread that made it, with no hop to another thread and
    back (CrewAI saves from many worker threads at once; a single loop thread serving them all
    cost a thread switch each way per call). A thread that runs an event loop of its own (CrewAI
    loads on its loop's thread) cannot run another: a helper thread runs its call and it waits.
    ``connection`` stands for the held connection of whichever slot runs the call."""

    IDLE_SECONDS = 300.0  # a slot unused this long closes its connection (as asyncpg's pool does)

    def __init__(self, dsn: str, max_connections: int, timeouts: dict[str, float | None]) -> None:
        self.pid = os.getpid()
        self.dsn, self.max_connections, self.timeouts = dsn, max_connections, timeouts
        self.connection = _HeldConnection()
        self.closed = False
        self._idle: list[_Slot] = []  # most recently used last: warm connections first
        self._slots = 0
        self._ready = threading.Condition()
        self._helpers: ThreadPoolExecutor | None = None

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        if _running_loop() is not None:
            return self._helper().submit(self._run_on_slot, coroutine).result()
        return self._run_on_slot(coroutine)

    def _run_on_slot(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        try:
            slot = self._take()
        except BaseException:
            coroutine.close()
            raise
        try:
            result = slot.run(coroutine)
        except Exception:
            self._give(slot)
            raise
        except BaseException:  # interrupted mid-call: the connection's state is unknown
            self._give(slot, broken=True)
            raise
        self._give(slot)
        return result

    def _take(self) -> _Slot:
        stale: list[_Slot] = []
        with self._ready:
            while True:
                if self.closed:
                    raise RuntimeError("PostgresFlowPersistence was closed while a call waited")
                now = time.monotonic()
                while self._idle and now - self._idle[0].last_used > self.IDLE_SECONDS:
                    stale.append(self._idle.pop(0))
                    self._slots -= 1
                if self._idle:
                    slot = self._idle.pop()
                    break
                if self._slots < self.max_connections:
                    self._slots += 1
                    slot = _Slot(self.dsn, self.timeouts)
                    break
                self._ready.wait()
        for old in stale:
            old.close()
        return slot

    def _give(self, slot: _Slot, broken: bool = False) -> None:
        with self._ready:
            keep = not (broken or self.closed)
            if keep:
                self._idle.append(slot)
            else:
                self._slots -= 1
            self._ready.notify()
        if not keep:
            slot.close(graceful=not broken)

    def _helper(self) -> ThreadPoolExecutor:
        with self._ready:
            if self._helpers is None:
                self._helpers = ThreadPoolExecutor(self.max_connections, thread_name_prefix="pgflowstate-crewai")
            return self._helpers

    def close(self) -> None:
        """Close the idle connections now and the others when their calls end. Idempotent; a
        no-op in a forked child (the connections belong to the parent)."""
        if os.getpid() != self.pid:
            return
        with self._ready:
            self.closed = True
            idle, self._idle = self._idle, []
            self._slots -= len(idle)
            helpers, self._helpers = self._helpers, None
            self._ready.notify_all()
        for slot in idle:
            slot.close()
        if helpers is not None:
            helpers.shutdown(wait=False)


class _HeldConnection:
    """The connection of the slot whose loop runs the current call (``call(bridge.connection, ...)``):
    ``fetchval``, ``fetchrow`` and ``execute`` run on it."""

    def __getattr__(self, name: str) -> Any:
        slot = getattr(_current, "slot", None)
        if slot is None:
            raise RuntimeError("the bridge's connection is only usable in a call that bridge.run runs")

        async def on_held_connection(*args: Any, **kwargs: Any) -> Any:
            return await getattr(await slot.connection(), name)(*args, **kwargs)
        return on_held_connection


_current = threading.local()  # .slot: the slot this thread runs a call on


def default_connections() -> int:
    """PostgresFlowPersistence's default ``max_connections``: the cores this process may run on,
    at least 2 and at most 4. More statements in flight than cores only make each wait for a
    core, the server's (often on the same machine: the local server) and CrewAI's threads
    alike: 20 concurrent flows on 2 cores had a median step of 5.0 ms with 4 connections and
    3.7-4.1 ms with 2, the whole run as fast (benchmarks/bench_crewai_concurrency.py). Steps
    that find every connection busy wait for one, which doubles the tail (asyncio p95 18-20 ms
    -> 36-45 ms, against SQLite's 500 ms)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2
    return min(4, max(2, cores))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class PostgresFlowPersistence(FlowPersistence):
    """CrewAI's ``FlowPersistence`` on PostgreSQL (schema ``flowstate``).

    Fields are JSON values, so CrewAI can rebuild the backend from ``model_dump(mode="json")``:

    - ``dsn``: a libpq URL; None means ``$DATABASE_URL``, else the local server (started on
      first use, as the CLI does). ``repr()`` hides its password, but prefer a DSN without one
      (``PGPASSWORD``, ``~/.pgpass``) if flow definitions are ever serialised, since the DSN is
      a field like the others.
    - ``client_account_id``, ``engagement_id``, ``user_id``: the request context (UUIDs; all
      three or none). None: ``$PGFLOWSTATE_CLIENT_ACCOUNT_ID``, ``$PGFLOWSTATE_ENGAGEMENT_ID``,
      ``$PGFLOWSTATE_USER_ID``, else on the local server ``pgflowstate.server.LOCAL_TENANT``;
      any other server without a tenant is a SetupError, as is an id that is not a UUID.
    - ``on_conflict``: ``"last_writer_wins"`` (default) writes every save whatever was written
      before, as CrewAI's built-in backend does (it appends rows and the newest wins).
      ``"raise"`` compare-and-sets against the version this object last saved or loaded for the
      flow (none: the flow must not exist yet) and raises ConcurrentModificationError when
      another writer got there first. This object's own saves of one flow are serialised, so
      parallel listeners of one flow never conflict with each other.
    - ``flow_type``: the flowstate flow type of new flows (``crewai``: open, any phase order).
    - ``phase_map``: method name -> phase name; unmapped methods are their own phase. Not the
      terminal ``completed`` or ``failed``: CrewAI may kick any flow off again with its id.
    - ``max_connections``: most connections open at once; each serves one calling thread at a
      time, and a call waits for a free one. By default the cores this process may run on,
      between 2 and 4 (``default_connections``).
    - ``lock_timeout``, ``statement_timeout`` (seconds, None: the server's): how long a call
      may wait for a lock, or run; then FlowBusyError, with nothing written.
    - ``retries``, ``retry_backoff``: a call whose connection is lost is sent again, up to
      ``retries`` times (``retry_backoff`` seconds apart, doubling); a save keeps its request id
      across them, so it is never applied twice.

    Every save records the flow's class in ``metadata.crewai_class`` and
    ``metadata.crewai_finished`` false; when CrewAI finishes a flow this object saved
    (FlowFinishedEvent), one more version (label ``_flow_finished``, state and phase as they
    were) sets ``crewai_finished`` true. The status stays ``running``: the flow can be
    kicked off again, and its next save makes it unfinished again.

    Connections are made on first use, which checks the schema (SchemaMissingError: run
    ``pgflowstate db upgrade``; ``init_db`` forces it), and closed by ``close()``, when the object
    is garbage collected, or at interpreter exit. What reaches a flow is a StateError, or a
    DatabaseError: ConnectionFailed naming the server and where its DSN came from, SetupError,
    or the server's message and SQLSTATE; never a raw driver error.
    """

    persistence_type: str = Field(default="PostgresFlowPersistence")
    dsn: str | None = None
    client_account_id: str | None = None
    engagement_id: str | None = None
    user_id: str | None = None
    on_conflict: Literal["last_writer_wins", "raise"] = "last_writer_wins"
    flow_type: str = "crewai"
    phase_map: dict[str, str] | None = None
    max_connections: int = Field(default_factory=default_connections, ge=1)
    lock_timeout: float | None = Field(default=DEFAULT_LOCK_TIMEOUT, ge=0)
    statement_timeout: float | None = Field(default=DEFAULT_STATEMENT_TIMEOUT, ge=0)
    retries: int = Field(default=3, ge=0)
    retry_backoff: float = Field(default=0.05, ge=0)

    _context: str = PrivateAttr()
    _local_tenant: bool = PrivateAttr(default=False)
    _bridge: _Bridge | None = PrivateAttr(default=None)
    _finalizer: weakref.finalize | None = PrivateAttr(default=None)
    _bridge_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _versions: dict[str, int] = PrivateAttr(default_factory=dict)  # "raise" mode only
    _flow_locks: tuple[threading.Lock, ...] = PrivateAttr(
        default_factory=lambda: tuple(threading.Lock() for _ in range(64)))
    # CrewAI flow id -> id() of the Flow object that saved it here and has not finished yet.
    _running: dict[str, int] = PrivateAttr(default_factory=dict)
    # CrewAI flow id -> the flow id flow_id_for gave it in this tenant, sent with later steps and
    # loads: for an id that is not a canonical UUID, flow_id_for is a SHA-1 in PL/pgSQL (no
    # extension needed), about 30% of a step's server time. The mapping never changes.
    _flow_ids: dict[str, UUID] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_context(self) -> PostgresFlowPersistence:
        # SetupError is no ValueError, so pydantic lets it through as it is.
        context = server.tenant({"client_account_id": self.client_account_id,
                                 "engagement_id": self.engagement_id, "user_id": self.user_id}, self.dsn)
        self._local_tenant = context is server.LOCAL_TENANT
        # Filled in, so that a copy (model_dump, deepcopy) acts as the same tenant.
        for field, value in context.jsonb().items():
            self.__dict__[field] = value
        self._context = encode_json(context.jsonb())
        return self

    @field_validator("phase_map")
    @classmethod
    def _no_terminal_phase(cls, phase_map: dict[str, str] | None) -> dict[str, str] | None:
        # CrewAI kicks a flow off again with its id whenever asked; flowstate refuses every
        # step after a terminal phase. CrewAI's rule wins: finished is metadata.crewai_finished.
        for method, phase in (phase_map or {}).items():
            if phase in ("completed", "failed"):
                raise ValueError(
                    f"phase_map maps {method!r} to {phase!r}, a terminal phase after which flowstate"
                    " refuses every step, while CrewAI may kick the flow off again with its id."
                    " Finished CrewAI flows are marked in metadata.crewai_finished instead; map the"
                    f" method to another name (e.g. {phase + '_step'!r}) to see it as a phase.")
        return phase_map

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, redacted(value) if name == "dsn" else value

    # -- CrewAI's interface ------------------------------------------------------------------

    def init_db(self) -> None:
        """Connect now (rather than on the first save) and check that the schema is installed."""
        self._connected()

    def save_state(
        self, flow_uuid: str, method_name: str, state_data: dict[str, Any] | BaseModel
    ) -> None:
        """One atomic save: the state as the flow's next version, ``method_name`` as its label
        and (through ``phase_map``) its current phase, the flow's class in
        ``metadata.crewai_class`` and ``metadata.crewai_finished`` false."""
        self._record(_flow_uuid(flow_uuid), method_name, state_json(state_data), None, _calling_flow())

    def load_state(self, flow_uuid: str) -> dict[str, Any] | None:
        """The state last saved for ``flow_uuid`` (as CrewAI gave it), or None."""
        flow_uuid = _flow_uuid(flow_uuid)
        row = self._call("fetchrow", _LOAD, flow_uuid, self._context, self._flow_ids.get(flow_uuid))
        if row is None or row[0] is None:
            return None
        self._mapped(flow_uuid, row[2])
        self._saw(flow_uuid, row[1])
        return _object(row[0])

    def save_pending_feedback(
        self,
        flow_uuid: str,
        context: PendingFeedbackContext,
        state_data: dict[str, Any] | BaseModel,
    ) -> None:
        """Save the state (as ``save_state`` for ``context.method_name``) and the pause's context,
        in one transaction; the flow's status becomes ``paused``."""
        feedback = object_json(context.to_dict(), default=_json_default)
        self._record(_flow_uuid(flow_uuid), context.method_name, state_json(state_data), feedback, _calling_flow())

    def load_pending_feedback(
        self, flow_uuid: str
    ) -> tuple[dict[str, Any], PendingFeedbackContext] | None:
        """The paused flow's state and feedback context, or None when it is not paused."""
        flow_uuid = _flow_uuid(flow_uuid)
        row = self._call("fetchrow", _LOAD_PENDING, flow_uuid, self._context)
        if row is None or row[1] is None:
            return None
        self._saw(flow_uuid, row[2])
        return _object(row[0]), PendingFeedbackContext.from_dict(_object(row[1]))

    def clear_pending_feedback(self, flow_uuid: str) -> None:
        """Forget the pause (the flow resumed)."""
        self._call("fetchval", _CLEAR_PENDING, _flow_uuid(flow_uuid), self._context, uuid4())

    # -- beyond CrewAI's interface ----------------------------------------------------------

    def flow_id(self, flow_uuid: str) -> UUID:
        """The flowstate flow id of a CrewAI flow id, for FlowStateStore, SQL and the CLI."""
        return self._call("fetchval", _FLOW_ID, _flow_uuid(flow_uuid), self._context)

    def create_checkpoint(self, flow_uuid: str, label: str | None = None) -> UUID:
        """Snapshot the flow as last saved (flowstate.flow_create_checkpoint); returns its id."""
        return self._call("fetchval", _CHECKPOINT, _flow_uuid(flow_uuid), self._context,
                          arguments.text(label, "label"), uuid4())

    def recover_failed(self, flow_uuid: str) -> dict[str, Any]:
        """Restore the newest valid checkpoint as the next version, status ``recovered``
        (flowstate.flow_recover_failed), and return its state; kick the flow off again with
        ``inputs={"id": flow_uuid}`` to resume from it. StateRecoveryError when none is valid."""
        flow_uuid = _flow_uuid(flow_uuid)
        row = self._call("fetchrow", _RECOVER_FAILED, flow_uuid, self._context, uuid4())
        self._saw(flow_uuid, row[1])
        return _object(row[0])

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pool and stop the background thread; a later call reconnects."""
        with self._bridge_lock:
            finalizer, self._finalizer, self._bridge = self._finalizer, None, None
        if finalizer is not None:
            finalizer()

    def __deepcopy__(self, memo: dict[int, Any]) -> PostgresFlowPersistence:
        """A backend with the same settings and its own connections (locks and pools are not
        copyable)."""
        return type(self).model_validate(self.model_dump())

    # -- internals ---------------------------------------------------------------------------

    def _record(self, flow_uuid: str, method_name: str, state: str, feedback: str | None, flow: Flow | None) -> None:
        method_name = arguments.text(method_name, "method_name", optional=False)
        phase = arguments.text((self.phase_map or {}).get(method_name, method_name), "phase", optional=False)
        metadata = {"crewai_finished": False} if flow is None else {
            "crewai_class": type(flow).__name__, "crewai_finished": False}
        self._step(flow_uuid, phase, state, method_name, feedback, encode_json(metadata))
        if flow is not None:
            _watch_for_finish(self)
            self._running.pop(flow_uuid, None)  # newest last: the oldest go first past the bound
            self._running[flow_uuid] = id(flow)
            _drop_oldest(self._running)

    def _step(self, flow_uuid: str, phase: str | None, state: str | None, label: str, feedback: str | None,
              metadata: str) -> None:
        args = (flow_uuid, self._context, phase, state, label)
        if self.on_conflict == "last_writer_wins":
            self._write_step(*args, None, feedback, metadata)
            return
        # This object's saves of one flow go one at a time, each expecting the last one's version.
        with self._flow_locks[hash(flow_uuid) % len(self._flow_locks)]:
            self._versions[flow_uuid] = self._write_step(*args, self._versions.get(flow_uuid, 0), feedback, metadata)

    def _write_step(self, flow_uuid: str, context: str, phase: str | None, state: str | None, label: str,
                    expected: int | None, feedback: str | None, metadata: str) -> int:
        """flowstate.flow_record_step; returns the new version."""
        version, flow_id = self._call("fetchrow", _RECORD_STEP, flow_uuid, context, phase, state, label, expected,
                                      self.flow_type, feedback, uuid4(), metadata, self._flow_ids.get(flow_uuid))
        self._mapped(flow_uuid, flow_id)
        return int(version)

    def _mapped(self, flow_uuid: str, flow_id: UUID) -> None:
        if flow_uuid not in self._flow_ids:
            self._flow_ids[flow_uuid] = flow_id
            _drop_oldest(self._flow_ids)

    def _finished(self, flow: Flow) -> None:
        """CrewAI finished ``flow``: if this object saved it, mark it ``crewai_finished``."""
        flow_uuid = str(flow.flow_id)
        if self._running.get(flow_uuid, -1) != id(flow):
            return
        self._running.pop(flow_uuid, None)
        try:
            self._step(flow_uuid, None, None, FINISHED_LABEL, None, _FINISHED)
        except Exception:  # the flow's result stands; its mark is missing, and says so in the log
            log.exception("could not mark CrewAI flow %r finished", flow_uuid)

    def _saw(self, flow_uuid: str, version: int) -> None:
        if self.on_conflict == "raise":
            self._versions[flow_uuid] = version

    def _call(self, method: str, query: str, *args: Any) -> Any:
        """One statement on the pool, run on the background loop and sent again after a lost
        connection (a write's request id is among ``args``); FS00x become StateErrors and a
        state or feedback PostgreSQL cannot read ($4 and $8 of flow_record_step)
        StateValidationError. The first argument is always the CrewAI flow id."""
        bridge = self._connected()
        with _database_errors(bridge.dsn, self.dsn):
            return bridge.run(call(bridge.connection, method, query, args, retries=self.retries,
                                   backoff=self.retry_backoff, flow_id=args[0] if args else None,
                                   json_param={4: "state", 8: "feedback"} if query is _RECORD_STEP else None))

    def _connected(self) -> _Bridge:
        """The bridge of this process, made on first use: the DSN resolved (the local server
        started if it is the one), and the schema checked once."""
        with self._bridge_lock:
            bridge = self._bridge
            if bridge is None or bridge.pid != os.getpid() or bridge.closed:
                if self._local_tenant and not server.is_local(self.dsn):
                    raise SetupError("DATABASE_URL was set after this backend took the local server's"
                                     f" tenant: set {', '.join(server.TENANT_VARIABLES.values())} (UUIDs)"
                                     " before creating it, or pass the tenant ids")
                dsn = server.default_dsn(self.dsn)
                bridge = _Bridge(asyncpg_url(dsn), self.max_connections,
                                 {"lock_timeout": self.lock_timeout, "statement_timeout": self.statement_timeout})
                try:
                    with _database_errors(dsn, self.dsn):
                        ready = bridge.run(schema_ready(bridge.connection))
                    if not ready:
                        raise SchemaMissingError(dsn)
                except BaseException:
                    bridge.close()
                    raise
                self._bridge = bridge
                self._finalizer = weakref.finalize(self, bridge.close)
            return bridge


# CrewAI flows one backend remembers something of (running ones: failed runs never finish;
# flow ids): past this, the oldest are forgotten.
_MAX_REMEMBERED = 10_000


def _drop_oldest(remembered: dict) -> None:
    if len(remembered) > _MAX_REMEMBERED:
        with suppress(RuntimeError, StopIteration):  # another thread changed it meanwhile
            remembered.pop(next(iter(remembered)), None)

_watching: weakref.WeakValueDictionary[int, PostgresFlowPersistence] = weakref.WeakValueDictionary()
_watching_lock = threading.Lock()
_listening = False


def _watch_for_finish(backend: PostgresFlowPersistence) -> None:
    """Have ``backend`` told when CrewAI finishes a flow (FlowFinishedEvent, which CrewAI
    emits at the end of kickoff and of a resume, and waits for before returning)."""
    global _listening
    if id(backend) in _watching:
        return
    with _watching_lock:
        if not _listening:
            crewai_event_bus.on(FlowFinishedEvent)(_on_flow_finished)
            _listening = True
        _watching[id(backend)] = backend


def _on_flow_finished(source: Any, event: FlowFinishedEvent) -> None:
    if isinstance(source, Flow):
        for backend in list(_watching.values()):
            backend._finished(source)


def _calling_flow() -> Flow | None:
    """The CrewAI Flow saving through this backend: CrewAI's save_state does not pass it, but
    always calls from the flow's engine (PersistenceDecorator.persist_state(flow_instance, ...)
    or a method of the flow), a few frames up. Only CrewAI's own frames are read: reading a
    frame's f_locals keeps a snapshot of its locals alive as long as the frame (Python < 3.13)."""
    frame = sys._getframe(2)
    for _ in range(12):
        if frame is None:
            return None
        if frame.f_globals.get("__name__", "").startswith("crewai."):
            for name in ("flow_instance", "self"):
                candidate = frame.f_locals.get(name)
                if isinstance(candidate, Flow):
                    return candidate
        frame = frame.f_back
    return None


# Refused at connect: no such role, wrong password, no such database, starting or stopping.
_CONNECT_SQLSTATE_CLASSES = ("08", "28", "3D", "57P03", "53300")


@contextmanager
def _database_errors(dsn: str, given: str | None) -> Iterator[None]:
    """The backend's one error-mapping place: StateErrors and our DatabaseErrors pass; an
    unreachable server becomes ConnectionFailed naming its host and where the DSN came from, a
    missing schema SchemaMissingError, any other server error a DatabaseError with its SQLSTATE."""
    try:
        yield
    except (StateError, DatabaseError):
        raise
    except (asyncpg.UndefinedFunctionError, asyncpg.InvalidSchemaNameError) as exc:
        raise SchemaMissingError(dsn) from exc  # dropped or downgraded since the first check
    except Exception as exc:
        sqlstate = getattr(exc, "sqlstate", None) or ""
        if connection_lost(exc) or isinstance(exc, (OSError, asyncio.TimeoutError)) or (
                sqlstate.startswith(_CONNECT_SQLSTATE_CLASSES)):
            source = ("the dsn given" if given else "$DATABASE_URL" if os.environ.get("DATABASE_URL")
                      else "the local server, as no DATABASE_URL is set")
            raise ConnectionFailed(f"cannot reach PostgreSQL at {describe(dsn)} (from {source}): {one_line(exc)};"
                                   " start that server, or set DATABASE_URL to one that runs") from exc
        if isinstance(exc, (asyncpg.PostgresError, asyncpg.InterfaceError)):
            message = getattr(exc, "message", None) or one_line(exc)
            raise DatabaseError(f"{message} [{sqlstate}]" if sqlstate else message) from exc
        raise


def _flow_uuid(value: Any) -> str:
    """CrewAI's flow id: any string (a UUID object stands for its canonical spelling)."""
    return str(value) if isinstance(value, UUID) else arguments.text(value, "flow_uuid", optional=False)


def _object(value: Any) -> Any:
    """A state or feedback as CrewAI wrote it, exact values back (see codec.object_json)."""
    # create_pool's codec decodes jsonb already; text would come from a plain codec.
    return restore(decode_json(value) if isinstance(value, str) else value)
