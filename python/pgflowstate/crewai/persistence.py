"""CrewAI flow persistence in PostgreSQL: ``@persist(PostgresFlowPersistence(...))``.

A drop-in for CrewAI's own backend (``pip install pgflowstate[crewai]``)::

    from crewai.flow.flow import Flow, start
    from crewai.flow.persistence import persist
    from pgflowstate.crewai import PostgresFlowPersistence

    @persist(PostgresFlowPersistence(client_account_id=..., engagement_id=..., user_id=...))
    class MyFlow(Flow[MyState]): ...

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
import json
import os
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, Field, PrivateAttr, model_validator

try:
    from crewai.flow.async_feedback.types import PendingFeedbackContext
    from crewai.flow.persistence.base import FlowPersistence
except ImportError as exc:  # exercised by test_importing_pgflowstate_without_crewai
    raise ImportError(
        "pgflowstate.crewai needs CrewAI: pip install 'pgflowstate[crewai]'"
    ) from exc

from .. import arguments
from ..codec import crewai_default as _json_default
from ..codec import crewai_state_json as state_json
from ..codec import decode_json, encode_json
from ..models import RequestContext
from ..pool import DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, create_pool
from ..retry import call
from ..schema import SCHEMA_READY as _SCHEMA_READY

if TYPE_CHECKING:
    from collections.abc import Coroutine

    import asyncpg

__all__ = ["PostgresFlowPersistence"]

_RECORD_STEP = (
    "select flowstate.flow_record_step(p_flow_id => flowstate.flow_id_for($1, $2),"
    " p_phase => $3, p_state_data => $4, p_label => $5, p_context => $2,"
    " p_expected_version => $6, p_external_id => $1, p_flow_type => $7, p_feedback => $8,"
    " p_request_id => $9) ->> 'flow_version'"
)
_LOAD = (
    "select d -> 'state_data', (d ->> 'flow_version')::bigint"
    " from (select flowstate.flow_load_state(flowstate.flow_id_for($1, $2), $2) as d) s"
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


class _Slot:
    """An event loop that no thread keeps running, with a one-connection asyncpg pool on it:
    whichever thread holds the slot runs a call on it to completion (run_until_complete)."""

    def __init__(self, dsn: str | None, timeouts: dict[str, float | None]) -> None:
        self.loop = asyncio.new_event_loop()
        self.dsn, self.timeouts = dsn, timeouts
        self.pool: asyncpg.Pool | None = None
        self.last_used = time.monotonic()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        if self.pool is None:
            # min_size 0: the connection opens on first use (and again after it was lost).
            self.pool = self.loop.run_until_complete(
                create_pool(self.dsn, min_size=0, max_size=1, **self.timeouts))
        _current.pool = self.pool
        try:
            return self.loop.run_until_complete(coroutine)
        finally:
            _current.pool = None
            self.last_used = time.monotonic()

    def close(self, graceful: bool = True) -> None:
        """Close the connection (``graceful``: say goodbye to the server, waiting up to 10 s)
        and the loop."""
        if self.loop.is_closed():
            return
        try:
            if self.pool is not None:
                if graceful and _running_loop() is None:
                    self.loop.run_until_complete(asyncio.wait_for(self.pool.close(), 10))
                else:  # interrupted mid-call, or on a thread running a loop: drop it
                    self.pool.terminate()
        finally:
            self.loop.close()


class _Bridge:
    """Up to ``max_connections`` slots, each a connection with its own event loop, lent to the
    calling thread: a call runs on the thread that made it, with no hop to another thread and
    back (CrewAI saves from many worker threads at once; a single loop thread serving them all
    cost a thread switch each way per call). A thread that runs an event loop of its own (CrewAI
    loads on its loop's thread) cannot run another: a helper thread runs its call and it waits.
    ``pool`` stands for the pool of whichever slot runs the call."""

    IDLE_SECONDS = 300.0  # a slot unused this long closes its connection (as asyncpg's pool does)

    def __init__(self, dsn: str | None, max_connections: int, timeouts: dict[str, float | None]) -> None:
        self.pid = os.getpid()
        self.dsn, self.max_connections, self.timeouts = dsn, max_connections, timeouts
        self.pool = _SlotPool()
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


class _SlotPool:
    """The pool of the slot whose loop runs the current call (``call(bridge.pool, ...)``)."""

    def __getattr__(self, name: str) -> Any:
        pool = getattr(_current, "pool", None)
        if pool is None:
            raise RuntimeError("the bridge's pool is only usable in a call that bridge.run runs")
        return getattr(pool, name)


_current = threading.local()  # .pool: the pool of the slot this thread runs


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class PostgresFlowPersistence(FlowPersistence):
    """CrewAI's ``FlowPersistence`` on PostgreSQL (schema ``flowstate``).

    Fields are JSON values, so CrewAI can rebuild the backend from ``model_dump(mode="json")``:

    - ``dsn``: a libpq URL; None means ``$DATABASE_URL``, else the ``PG*`` environment. Prefer
      a DSN without a password (``PGPASSWORD``, ``~/.pgpass``) if flow definitions are ever
      serialised, since the DSN is a field like the others.
    - ``client_account_id``, ``engagement_id``, ``user_id``: the request context (UUIDs).
    - ``on_conflict``: ``"last_writer_wins"`` (default) writes every save whatever was written
      before, as CrewAI's built-in backend does (it appends rows and the newest wins).
      ``"raise"`` compare-and-sets against the version this object last saved or loaded for the
      flow (none: the flow must not exist yet) and raises ConcurrentModificationError when
      another writer got there first. This object's own saves of one flow are serialised, so
      parallel listeners of one flow never conflict with each other.
    - ``flow_type``: the flowstate flow type of new flows (``crewai``: open, any phase order).
    - ``phase_map``: method name -> phase name; unmapped methods are their own phase.
    - ``max_connections``: most connections open at once; each serves one calling thread at a
      time, and a call waits for a free one.
    - ``lock_timeout``, ``statement_timeout`` (seconds, None: the server's): how long a call
      may wait for a lock, or run; then FlowBusyError, with nothing written.
    - ``retries``, ``retry_backoff``: a call whose connection is lost is sent again, up to
      ``retries`` times (``retry_backoff`` seconds apart, doubling); a save keeps its request id
      across them, so it is never applied twice.

    Connections are made on first use (``init_db`` forces it and checks the schema) and closed
    by ``close()``, when the object is garbage collected, or at interpreter exit.
    """

    persistence_type: str = Field(default="PostgresFlowPersistence")
    dsn: str | None = None
    client_account_id: str
    engagement_id: str
    user_id: str
    on_conflict: Literal["last_writer_wins", "raise"] = "last_writer_wins"
    flow_type: str = "crewai"
    phase_map: dict[str, str] | None = None
    max_connections: int = Field(default=4, ge=1)
    lock_timeout: float | None = Field(default=DEFAULT_LOCK_TIMEOUT, ge=0)
    statement_timeout: float | None = Field(default=DEFAULT_STATEMENT_TIMEOUT, ge=0)
    retries: int = Field(default=3, ge=0)
    retry_backoff: float = Field(default=0.05, ge=0)

    _context: str = PrivateAttr()
    _bridge: _Bridge | None = PrivateAttr(default=None)
    _finalizer: weakref.finalize | None = PrivateAttr(default=None)
    _bridge_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _versions: dict[str, int] = PrivateAttr(default_factory=dict)  # "raise" mode only
    _flow_locks: tuple[threading.Lock, ...] = PrivateAttr(
        default_factory=lambda: tuple(threading.Lock() for _ in range(64)))

    @model_validator(mode="after")
    def _check_context(self) -> PostgresFlowPersistence:
        context = RequestContext(
            client_account_id=self.client_account_id,
            engagement_id=self.engagement_id,
            user_id=self.user_id,
        )
        self._context = encode_json(context.jsonb())
        return self

    # -- CrewAI's interface ------------------------------------------------------------------

    def init_db(self) -> None:
        """Connect now (rather than on the first save) and check that the schema is installed."""
        if not self._call("fetchval", _SCHEMA_READY):
            raise RuntimeError(
                "the flowstate schema is missing or out of date in this database;"
                " run `pgflowstate db upgrade`"
            )

    def save_state(
        self, flow_uuid: str, method_name: str, state_data: dict[str, Any] | BaseModel
    ) -> None:
        """One atomic save: the state as the flow's next version, ``method_name`` as its label
        and (through ``phase_map``) its current phase."""
        self._record(_flow_uuid(flow_uuid), method_name, state_json(state_data), None)

    def load_state(self, flow_uuid: str) -> dict[str, Any] | None:
        """The state last saved for ``flow_uuid`` (as CrewAI gave it), or None."""
        flow_uuid = _flow_uuid(flow_uuid)
        row = self._call("fetchrow", _LOAD, flow_uuid, self._context)
        if row is None or row[0] is None:
            return None
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
        feedback = json.dumps(context.to_dict(), default=_json_default)
        self._record(_flow_uuid(flow_uuid), context.method_name, state_json(state_data), feedback)

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

    def _record(self, flow_uuid: str, method_name: str, state: str, feedback: str | None) -> None:
        method_name = arguments.text(method_name, "method_name", optional=False)
        phase = arguments.text((self.phase_map or {}).get(method_name, method_name), "phase", optional=False)
        args = (flow_uuid, self._context, phase, state, method_name)
        if self.on_conflict == "last_writer_wins":
            self._call("fetchval", _RECORD_STEP, *args, None, self.flow_type, feedback, uuid4())
            return
        # This object's saves of one flow go one at a time, each expecting the last one's version.
        with self._flow_locks[hash(flow_uuid) % len(self._flow_locks)]:
            version = self._call("fetchval", _RECORD_STEP, *args, self._versions.get(flow_uuid, 0),
                                 self.flow_type, feedback, uuid4())
            self._versions[flow_uuid] = int(version)

    def _saw(self, flow_uuid: str, version: int) -> None:
        if self.on_conflict == "raise":
            self._versions[flow_uuid] = version

    def _call(self, method: str, query: str, *args: Any) -> Any:
        """One statement on the pool, run on the background loop and sent again after a lost
        connection (a write's request id is among ``args``); FS00x become StateErrors and a
        state or feedback PostgreSQL cannot read ($4 and $8 of flow_record_step)
        StateValidationError. The first argument is always the CrewAI flow id."""
        bridge = self._connected()
        return bridge.run(call(bridge.pool, method, query, args, retries=self.retries, backoff=self.retry_backoff,
                               flow_id=args[0] if args else None,
                               json_param={4: "state", 8: "feedback"} if query is _RECORD_STEP else None))

    def _connected(self) -> _Bridge:
        with self._bridge_lock:
            bridge = self._bridge
            if bridge is None or bridge.pid != os.getpid() or bridge.closed:
                bridge = _Bridge(self.dsn or os.environ.get("DATABASE_URL"), self.max_connections,
                                 {"lock_timeout": self.lock_timeout, "statement_timeout": self.statement_timeout})
                self._bridge = bridge
                self._finalizer = weakref.finalize(self, bridge.close)
            return bridge


def _flow_uuid(value: Any) -> str:
    """CrewAI's flow id: any string (a UUID object stands for its canonical spelling)."""
    return str(value) if isinstance(value, UUID) else arguments.text(value, "flow_uuid", optional=False)


def _object(value: Any) -> Any:
    # create_pool's codec decodes jsonb already; text would come from a plain codec.
    return decode_json(value) if isinstance(value, str) else value
