"""Cutover from CrewAI's SQLite persistence to PostgreSQL, for live systems.

``CutoverFlowPersistence`` is a CrewAI ``FlowPersistence`` driven by the feature flag
``USE_POSTGRES_ONLY_STATE`` (read at every call, so flipping it needs no rebuild):

- flag off (parallel run): CrewAI's ``SQLiteFlowPersistence`` stays primary. Every save is
  mirrored into PostgreSQL (a failed mirror is counted and logged, never raised); every load
  reads both, counts and logs any difference and brings PostgreSQL back in line with SQLite.
  A flow PostgreSQL does not have yet (started before the cutover) is imported on its first
  load, every legacy row with it, so active flows migrate one by one.
- ``verify()``: compare every flow of the SQLite file with PostgreSQL (``repair=True`` brings
  the missing and different ones over), before turning the flag on.
- flag on: PostgreSQL only; SQLite is never written again. A flow found only in SQLite is
  imported on its first load. Once ``verify()`` finds nothing missing, the SQLite file and this
  module can go: use ``PostgresFlowPersistence`` directly.

Imports go through ``flowstate.flow_import_legacy`` with the migrator's own reader and call
(``pgflowstate.migrator``: exact row text kept, ledger entry), as ``pgflowstate migrate-sqlite``
does. This module and the migrator are the only places in pgflowstate that touch SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from crewai.flow.async_feedback.types import PendingFeedbackContext
from crewai.flow.persistence.base import FlowPersistence
from crewai.flow.persistence.sqlite import SQLiteFlowPersistence
from pydantic import BaseModel, Field, PrivateAttr, model_validator

from ..codec import context_json, crewai_state_json, decode_json, encode_json
from ..connection import connection
from ..migrator import Flow, SourceError, SqliteSource, import_legacy_flow
from ..models import RequestContext
from .persistence import PostgresFlowPersistence

__all__ = ["CutoverFlowPersistence", "postgres_only_from_env"]

log = logging.getLogger("pgflowstate.legacy")

FLAG = "USE_POSTGRES_ONLY_STATE"
_COUNTERS = ("mirrored", "mirror_failures", "compared", "differences", "migrated")


def postgres_only_from_env() -> bool:
    """``USE_POSTGRES_ONLY_STATE`` as a boolean (1, true, yes, on; anything else is off)."""
    return os.environ.get(FLAG, "").strip().lower() in ("1", "true", "yes", "on")


class CutoverFlowPersistence(FlowPersistence):
    """SQLite primary and mirrored into PostgreSQL (flag off), or PostgreSQL only (flag on).

    ``postgres`` is the PostgresFlowPersistence to write to; its fields may also be given
    directly (``CutoverFlowPersistence(sqlite_path=..., dsn=..., client_account_id=..., ...)``).
    ``use_postgres_only`` None (the default) reads ``USE_POSTGRES_ONLY_STATE`` at every call, so
    the flag can be flipped without rebuilding flows. ``stats`` counts what happened.
    """

    persistence_type: str = Field(default="CutoverFlowPersistence")
    sqlite_path: str
    postgres: PostgresFlowPersistence
    use_postgres_only: bool | None = None

    _sqlite: SQLiteFlowPersistence | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _stats: dict[str, int] = PrivateAttr(default_factory=lambda: dict.fromkeys(_COUNTERS, 0))
    _caught_up: set[str] = PrivateAttr(default_factory=set)  # flag on: SQLite consulted

    @model_validator(mode="before")
    @classmethod
    def _gather_postgres_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and "postgres" not in data:
            names = set(PostgresFlowPersistence.model_fields) - {"persistence_type"}
            data = dict(data)
            data["postgres"] = {k: data.pop(k) for k in list(data) if k in names}
        return data

    @property
    def postgres_only(self) -> bool:
        if self.use_postgres_only is not None:
            return self.use_postgres_only
        return postgres_only_from_env()

    @property
    def stats(self) -> dict[str, int]:
        """mirrored, mirror_failures, compared, differences, migrated (since construction)."""
        with self._lock:
            return dict(self._stats)

    # -- CrewAI's interface ------------------------------------------------------------------

    def init_db(self) -> None:
        self.postgres.init_db()
        if not self.postgres_only:
            self._sqlite_backend().init_db()

    def save_state(
        self, flow_uuid: str, method_name: str, state_data: dict[str, Any] | BaseModel
    ) -> None:
        if self.postgres_only:
            self.postgres.save_state(flow_uuid, method_name, state_data)
            return
        self._sqlite_backend().save_state(flow_uuid, method_name, state_data)
        self._mirror(flow_uuid, self.postgres.save_state, flow_uuid, method_name, state_data)

    def load_state(self, flow_uuid: str) -> dict[str, Any] | None:
        if self.postgres_only:
            self._catch_up(flow_uuid)
            return self.postgres.load_state(flow_uuid)
        primary = self._sqlite_backend().load_state(flow_uuid)
        try:
            mirror = self.postgres.load_state(flow_uuid)
        except Exception:
            self._count("mirror_failures")
            log.exception("flow %s: could not read the PostgreSQL mirror", flow_uuid)
            return primary
        self._compare(flow_uuid, primary, mirror)
        return primary

    def save_pending_feedback(
        self,
        flow_uuid: str,
        context: PendingFeedbackContext,
        state_data: dict[str, Any] | BaseModel,
    ) -> None:
        if self.postgres_only:
            self.postgres.save_pending_feedback(flow_uuid, context, state_data)
            return
        self._sqlite_backend().save_pending_feedback(flow_uuid, context, state_data)
        self._mirror(flow_uuid, self.postgres.save_pending_feedback, flow_uuid, context, state_data)

    def load_pending_feedback(
        self, flow_uuid: str
    ) -> tuple[dict[str, Any], PendingFeedbackContext] | None:
        if self.postgres_only:
            self._catch_up(flow_uuid)
            return self.postgres.load_pending_feedback(flow_uuid)
        primary = self._sqlite_backend().load_pending_feedback(flow_uuid)
        try:
            mirror = self.postgres.load_pending_feedback(flow_uuid)
        except Exception:
            self._count("mirror_failures")
            log.exception("flow %s: could not read the PostgreSQL mirror", flow_uuid)
            return primary
        if primary is not None and (mirror is None or mirror[1].to_dict() != primary[1].to_dict()):
            self._count("compared")
            self._count("differences")
            log.warning("flow %s: the pending feedback in PostgreSQL differs from SQLite's;"
                        " copying SQLite's", flow_uuid)
            self._repair(flow_uuid)
        return primary

    def clear_pending_feedback(self, flow_uuid: str) -> None:
        if not self.postgres_only:
            self._sqlite_backend().clear_pending_feedback(flow_uuid)
            self._mirror(flow_uuid, self.postgres.clear_pending_feedback, flow_uuid)
            return
        self.postgres.clear_pending_feedback(flow_uuid)

    # -- cutover -----------------------------------------------------------------------------

    def verify(self, repair: bool = False) -> dict[str, Any]:
        """Compare the latest state of every flow in the SQLite file with PostgreSQL.

        Returns ``{"flows": n, "same": n, "different": [ids], "missing": [ids],
        "unportable": [{"flow_uuid": id, "reason": text}]}``. With ``repair``, a missing flow is
        imported whole and a different one gets SQLite's latest state (and pending feedback) as
        its next version; they are listed as ``repaired``. A flow that cannot be read or ported
        (unreadable rows, a state over PostgreSQL's limits, a value PostgreSQL would not keep)
        is listed in ``unportable`` with the reason, and the others go on. Turn the flag on when
        ``different``, ``missing`` and ``unportable`` are empty.
        """
        report: dict[str, Any] = {"flows": 0, "same": 0, "different": [], "missing": [],
                                  "unportable": []}
        repaired: list[str] = []
        for flow_uuid in self._sqlite_flow_ids():
            report["flows"] += 1
            try:
                flow = self._sqlite_flow(flow_uuid)
                legacy = decode_json(flow.rows[-1].state)
                current = self.postgres.load_state(flow_uuid)
                if current is not None and same_state(legacy, current):
                    report["same"] += 1
                    continue
                report["missing" if current is None else "different"].append(flow_uuid)
                if repair:
                    self._port(flow, current)
                    repaired.append(flow_uuid)
            except Exception as exc:  # one flow's trouble must not leave the rest unchecked
                log.warning("flow %s cannot be ported: %s", flow_uuid, exc)
                report["unportable"].append({"flow_uuid": flow_uuid, "reason": _reason(exc)})
        if repair:
            report["repaired"] = repaired
        return report

    def close(self) -> None:
        """Close the PostgreSQL connections (SQLite keeps none open)."""
        self.postgres.close()

    # -- internals ---------------------------------------------------------------------------

    def _sqlite_backend(self) -> SQLiteFlowPersistence:
        with self._lock:
            if self._sqlite is None:
                self._sqlite = SQLiteFlowPersistence(self.sqlite_path)
            return self._sqlite

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._stats[name] += n

    def _mirror(self, flow_uuid: str, call: Any, *args: Any) -> None:
        """Write to PostgreSQL after SQLite did; a failure is counted and logged, not raised
        (SQLite is the source of truth while the flag is off; the next load repairs)."""
        try:
            call(*args)
        except Exception:
            self._count("mirror_failures")
            log.exception("flow %s: could not mirror into PostgreSQL", flow_uuid)
        else:
            self._count("mirrored")

    def _compare(self, flow_uuid: str, primary: dict | None, mirror: dict | None) -> None:
        if primary is None:
            return
        self._count("compared")
        if mirror is not None and same_state(primary, mirror):
            return
        if mirror is None:
            log.info("flow %s is not in PostgreSQL yet; migrating it", flow_uuid)
        elif same_state(as_postgres_keeps(primary), mirror):
            # Writing SQLite's state again would store what PostgreSQL has: a new version per
            # load and nothing gained (verify() reports such a flow unportable).
            return
        else:
            self._count("differences")
            log.warning("flow %s: the state in PostgreSQL differs from SQLite's (keys %s);"
                        " copying SQLite's", flow_uuid, _differing_keys(primary, mirror))
        self._repair(flow_uuid)

    def _repair(self, flow_uuid: str) -> None:
        try:
            self._migrate(flow_uuid)
        except Exception:  # SQLite is the source of truth while the flag is off: go on
            self._count("mirror_failures")
            log.exception("flow %s: could not bring PostgreSQL in line with SQLite", flow_uuid)

    def _migrate(self, flow_uuid: str) -> bool:
        """Bring one flow from SQLite into PostgreSQL; False when SQLite does not have it."""
        flow = self._sqlite_flow(flow_uuid)
        if flow is None:
            return False
        self._port(flow, self.postgres.load_state(flow_uuid))
        return True

    def _catch_up(self, flow_uuid: str) -> None:
        """Flag on, once per flow and process: bring over what SQLite has and PostgreSQL lacks
        before PostgreSQL answers alone. A flow only in SQLite is imported; a flow whose
        PostgreSQL state is an older step of SQLite's (a mirrored save failed) gets SQLite's
        newer state, so no step is lost. A flow PostgreSQL holds ahead of SQLite (it went on
        after the flag went on) is left alone. When the newer step cannot be brought over, the
        load fails rather than resume from the older one."""
        if flow_uuid in self._caught_up:
            return
        current = self.postgres.load_state(flow_uuid)
        try:
            flow = self._sqlite_flow(flow_uuid)
        except SourceError:
            if current is None:
                raise
            # Rows nothing can port: PostgreSQL's state is the best there is.
            log.exception("flow %s: its SQLite rows cannot be read; going on from PostgreSQL", flow_uuid)
            flow = None
        if flow is not None and (current is None or _behind(flow, current)):
            self._port(flow, current)
        with self._lock:
            self._caught_up.add(flow_uuid)

    def _port(self, flow: Flow, current: dict | None) -> None:
        """Bring one flow from SQLite into PostgreSQL, given PostgreSQL's state of it (None: none).

        A flow PostgreSQL does not have is imported whole (flowstate.flow_import_legacy, one
        call): every legacy row kept with its exact text, the latest as the current state, its
        pending feedback, and a ledger entry, so ``pgflowstate migrate-sqlite`` later sees it
        as already migrated. A flow PostgreSQL has with another state gets SQLite's latest
        state (and pending feedback) as its next version, labelled with the method that saved
        it, unless PostgreSQL would then hold what it holds already: that is refused (nothing
        written) as a value PostgreSQL does not keep exactly.
        """
        flow_uuid, latest = flow.external_id, flow.rows[-1]
        if current is None:
            result = self._import(flow)
            log.info("flow %s: imported %s SQLite rows into PostgreSQL (%s)", flow_uuid,
                     flow.row_count, result["status"])
        else:
            legacy = decode_json(latest.state)
            if same_state(as_postgres_keeps(legacy), current):
                raise ValueError(f"flow {flow_uuid}: its state holds values PostgreSQL does not keep"
                                 f" as SQLite does (keys {_differing_keys(legacy, current)})")
            restored = self._sqlite_backend().load_pending_feedback(flow_uuid)
            if restored is not None:
                self.postgres.save_pending_feedback(flow_uuid, restored[1], restored[0])
            else:
                self.postgres.save_state(flow_uuid, latest.method, legacy)
            log.info("flow %s: copied its latest SQLite state (%s) into PostgreSQL",
                     flow_uuid, latest.method)
        self._count("migrated")

    def _sqlite_flow(self, flow_uuid: str) -> Flow | None:
        """The flow as the migrator reads it (every flow_states row in id order with its exact
        text, and its pending feedback), from the live file; None when SQLite does not have it."""
        if not os.path.exists(self.sqlite_path):
            return None
        with SqliteSource(self.sqlite_path, live=True) as source:
            flow = source.flow(flow_uuid)
        if flow is not None and flow.problems:
            raise SourceError(f"flow {flow_uuid} cannot be imported: {' '.join(flow.problems)}")
        return flow

    def _import(self, flow: Flow) -> dict[str, Any]:
        """flowstate.flow_import_legacy for the whole flow, on a connection of its own in a
        thread of its own: CrewAI also calls from its event loop's thread, where no other loop
        can run, and PostgresFlowPersistence offers no way to run a call on its pool."""
        postgres = self.postgres
        context = context_json(RequestContext(client_account_id=postgres.client_account_id,
                                              engagement_id=postgres.engagement_id, user_id=postgres.user_id))

        async def call() -> dict[str, Any]:
            async with connection(postgres.dsn or os.environ.get("DATABASE_URL")) as conn:
                return await import_legacy_flow(conn, context, self._source(), flow, flow.rows, flow.pending)

        with ThreadPoolExecutor(max_workers=1) as thread:
            return thread.submit(asyncio.run, call()).result()

    def _source(self) -> str:
        path = os.path.realpath(self.sqlite_path)
        return encode_json({"fingerprint": f"cutover:{path}", "path": path,
                            "host": socket.gethostname(), "via": "CutoverFlowPersistence"})

    def _sqlite_flow_ids(self) -> list[str]:
        if not os.path.exists(self.sqlite_path):
            return []
        with SqliteSource(self.sqlite_path, live=True) as source:
            return source.flow_ids()


def same_state(a: Any, b: Any) -> bool:
    """Whether two restored states hold the same values: the one comparison of the cutover.
    Python's ``==`` except that NaN equals NaN (SQLite keeps NaN; a NaN flow must not look
    different forever) and a bool never equals a number (JSON's ``true`` is not ``1``)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_state(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return a == b


def as_postgres_keeps(state: dict[str, Any]) -> Any:
    """SQLite's state as PostgreSQL would give it back after saving it: the same values where
    the encoding keeps them exactly."""
    return decode_json(crewai_state_json(state))


def _behind(flow: Flow, current: dict[str, Any]) -> bool:
    """Whether PostgreSQL's state of the flow is an older step of SQLite's: not its latest,
    but one of the rows before."""
    def kept(row: Any) -> bool:
        legacy = decode_json(row.state)
        return same_state(legacy, current) or same_state(as_postgres_keeps(legacy), current)

    return not kept(flow.rows[-1]) and any(kept(row) for row in flow.rows[:-1])


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _differing_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if not same_state(a.get(k, ...), b.get(k, ...)))


def scratch_sqlite_persistence() -> tuple[SQLiteFlowPersistence, Any]:
    """CrewAI's own SQLite backend on a temporary file, for side-by-side benchmarks
    (`pgflowstate bench`), with the function that removes the file. Kept here so that SQLite
    stays out of every module but the migrator and this one."""
    directory = tempfile.TemporaryDirectory(prefix="pgflowstate-bench-")
    return SQLiteFlowPersistence(str(Path(directory.name) / "flow_states.db")), directory.cleanup
