"""StateMigrator: move CrewAI's SQLite flow state into PostgreSQL and prove nothing was lost.

The rules are SQL: ``flowstate.flow_import_legacy`` imports one flow per call (one
transaction), keeps every legacy row's exact text, maps the latest row to the current state,
and records the flow in the migration ledger, which makes a re-run or a resumed run (after a
kill -9) skip what is done; ``flow_import_verify`` re-reads imported flows. This module only:

- opens the SQLite file without writing anything next to it: the file itself with
  ``immutable=1`` when no ``-wal``/``-journal`` side file exists (committed rows are all in
  the file then), else a private copy of the file and its side files (``mode=ro`` would still
  create side files, and ``immutable=1`` would miss the rows still in the WAL);
- streams rows in (flow_uuid, id) order, one flow at a time, with a bounded number of bytes in
  flight, so memory stays flat whatever the size of the source; a flow bigger than
  ``part_bytes`` goes in parts within one transaction;
- computes each flow's content hash from the source (``content_hash``, the same definition as
  ``flowstate._legacy_content_hash``) and compares it with what PostgreSQL recomputes from the
  stored text, at the end of every run and with ``verify()`` alone.

Run it as ``pgflowstate migrate-sqlite`` or ``python -m pgflowstate.migrator``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import asyncpg

from .codec import encode_json
from .connection import ConnectionFailed, one_line, open_pool
from .errors import FlowExistsError, StateError, StateValidationError, sqlstate_errors
from .models import RequestContext
from .schema import schema_ready

PART_BYTES = 8 << 20  # a flow with more state text than this goes in parts
INFLIGHT_BYTES = 32 << 20  # state text read from the source and not yet imported
VERIFY_BATCH = 200  # flows per flow_import_verify call
STATUS_BATCH = 16  # flows per flow_import_status call (at most part_bytes of them)
SIDE_FILES = ("-wal", "-journal")

_IMPORT = (
    "select flowstate.flow_import_legacy(p_external_id => $1, p_legacy_ids => $2,"
    " p_method_names => $3, p_timestamps => $4, p_states => $5, p_source => $6,"
    " p_context => $7, p_pending => $8, p_more => $9)"
)
_STATUS = "select * from flowstate.flow_import_status(p_external_ids => $1, p_context => $2)"
_VERIFY = "select * from flowstate.flow_import_verify(p_external_ids => $1, p_context => $2)"


class SourceError(Exception):
    """The SQLite source cannot be used (missing, not a database, not CrewAI's): nothing was
    migrated (CLI exit code 2)."""


def default_path() -> Path:
    """CrewAI's default database: ``db_storage_path()/flow_states.db`` (crewai_core.paths), that
    is ``appdirs.user_data_dir(<$CREWAI_STORAGE_DIR or the current directory's name>, "CrewAI")``.
    Unlike CrewAI, this never creates the directory."""
    app = os.environ.get("CREWAI_STORAGE_DIR", Path.cwd().name)
    try:
        import appdirs  # what CrewAI itself uses, when installed
    except ImportError:
        return Path(_user_data_dir(app, "CrewAI")) / "flow_states.db"
    return Path(appdirs.user_data_dir(app, "CrewAI")) / "flow_states.db"


def _user_data_dir(app: str, author: str) -> str:
    """appdirs.user_data_dir (appdirs 1.4.4) for the three platforms CrewAI runs on."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return os.path.join(base, author, app)
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Application Support/"), app)
    return os.path.join(os.getenv("XDG_DATA_HOME", os.path.expanduser("~/.local/share")), app)


# -- content hash ----------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def row_line(legacy_id: int, method: bytes, timestamp: bytes, state_sha256: str) -> bytes:
    """One row's line of a flow's content hash (flowstate._legacy_content_hash): texts are
    length-prefixed, so no text can fake a line break."""
    return b"%d %s %d:%s %d:%s\n" % (legacy_id, state_sha256.encode(), len(method), method, len(timestamp), timestamp)


def pending_line(legacy_id: int, context: bytes, state: bytes, created_at: bytes) -> bytes:
    """The pending_feedback line of a flow's content hash (flowstate._legacy_pending_line)."""
    return b"pending %d %s %s %d:%s\n" % (legacy_id, sha256_hex(context).encode(), sha256_hex(state).encode(),
                                          len(created_at), created_at)


def content_hash(rows: list[tuple[int, bytes, bytes, bytes]], pending: tuple | None = None) -> str:
    """The content hash of a legacy flow from (id, method_name, timestamp, state_json) rows in id
    order (UTF-8 bytes) and its pending_feedback (id, context_json, state_json, created_at)."""
    h = hashlib.sha256()
    for legacy_id, method, timestamp, state in rows:
        h.update(row_line(legacy_id, method, timestamp, sha256_hex(state)))
    if pending:
        h.update(pending_line(*pending))
    return h.hexdigest()


# -- the source ------------------------------------------------------------------------------


@dataclass
class Row:
    legacy_id: int
    method: str
    timestamp: str
    state: str
    nbytes: int
    line: bytes  # this row's line of the content hash


@dataclass
class Flow:
    """One legacy flow, read from the source. ``problems`` non-empty: it cannot be imported."""

    external_id: str
    rows: list[Row] = field(default_factory=list)
    pending: dict | None = None
    problems: list[str] = field(default_factory=list)
    nbytes: int = 0
    hasher: Any = field(default_factory=hashlib.sha256)
    row_count: int = 0

    def add(self, row: Row, keep: bool = True) -> None:
        self.hasher.update(row.line)
        self.row_count += 1
        self.nbytes += row.nbytes
        if keep:
            self.rows.append(row)

    def content_hash(self) -> str:
        h = self.hasher.copy()
        if self.pending:
            h.update(self.pending["line"])
        return h.hexdigest()


def _text(value: Any, kind: str, column: str, where: str, problems: list[str]) -> str:
    """A TEXT value as str; anything else is a problem (the flow is not imported)."""
    if kind != "text":
        problems.append(f"{where}: {column} is {kind}, not text.")
        return ""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{where}: {column} is not valid UTF-8 ({exc.reason} at byte {exc.start}).")
        return ""
    if "\x00" in text:
        problems.append(f"{where}: {column} contains a NUL character, which PostgreSQL text cannot hold.")
        return ""
    return text


class SqliteSource(AbstractContextManager):
    """A CrewAI flow-state database, opened so that nothing next to it is created or changed."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path).absolute()
        self.size = 0
        self.fingerprint = ""
        self.copied = False
        self._tmp: str | None = None
        self._stat: list = []
        self.conn: sqlite3.Connection | None = None

    def __enter__(self) -> "SqliteSource":
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _side_files(self) -> list[Path]:
        found = []
        for suffix in SIDE_FILES:
            side = Path(f"{self.path}{suffix}")
            if side.exists() and side.stat().st_size > 0:
                found.append(side)
        return found

    def _stat_all(self) -> list:
        return [(p.name, p.stat().st_size, p.stat().st_mtime_ns)
                for p in (self.path, *self._side_files())]

    def open(self) -> None:
        if not self.path.exists():
            raise SourceError(f"no such file: {self.path}")
        if not self.path.is_file():
            raise SourceError(f"not a file: {self.path}")
        side = self._side_files()
        if side:
            # Committed rows may still sit in the WAL (or a hot journal must be rolled back):
            # read a private copy, taken while nothing changes the files.
            self._tmp = tempfile.mkdtemp(prefix="pgflowstate-migrate-")
            for _attempt in range(3):
                before = self._stat_all()
                digest = hashlib.sha256()
                for source in (self.path, *side):
                    _copy_hashing(source, Path(self._tmp) / source.name, digest)
                if self._stat_all() == before:
                    break
            else:
                raise SourceError(f"{self.path} is being written to; stop the processes using it and run again")
            self.copied = True
            uri = f"file:{quote(str(Path(self._tmp) / self.path.name))}"  # private copy: may write
        else:
            digest = hashlib.sha256()
            with open(self.path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            uri = f"file:{quote(str(self.path))}?mode=ro&immutable=1"
        self._stat = self._stat_all()
        self.size = sum(s for _, s, _ in self._stat)
        self.fingerprint = "sha256:" + digest.hexdigest()
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self.conn.text_factory = bytes  # exact bytes; decoded (and checked) per value
            self.conn.execute("pragma query_only = on")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"cannot read {self.path}: {exc}") from exc

    def _columns(self, table: str) -> set[str]:
        return {r[1].decode() if isinstance(r[1], bytes) else r[1]
                for r in self.conn.execute(f"pragma table_info({table})")}

    def _check_schema(self) -> None:
        wanted = {"id", "flow_uuid", "method_name", "timestamp", "state_json"}
        if not wanted <= self._columns("flow_states"):
            raise SourceError(f"{self.path} is not a CrewAI flow-state database "
                              "(no flow_states table with id, flow_uuid, method_name, timestamp, state_json)")
        pending = self._columns("pending_feedback")
        self.has_pending = bool(pending)
        if pending and not {"id", "flow_uuid", "context_json", "state_json", "created_at"} <= pending:
            raise SourceError(f"{self.path}: pending_feedback does not have CrewAI's columns")

    def changed(self) -> bool:
        """Whether the source files changed since they were opened (a writer was running)."""
        return self._stat_all() != self._stat

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def counts(self) -> tuple[int, int]:
        """(rows, flows) in flow_states."""
        rows, flows = self.conn.execute(
            "select count(*), count(distinct flow_uuid) from flow_states").fetchone()
        return rows, flows

    def orphan_pending(self) -> list[str]:
        """flow_uuids with pending feedback but no flow_states row (not importable)."""
        if not self.has_pending:
            return []
        return [r[0].decode("utf-8", "replace") if isinstance(r[0], bytes) else str(r[0])
                for r in self.conn.execute(
                    "select flow_uuid from pending_feedback where flow_uuid not in"
                    " (select flow_uuid from flow_states) order by flow_uuid")]

    def flows(self) -> Iterator[tuple[Flow, Iterator[Row]]]:
        """Each flow with an iterator of its rows in id order, streamed: consume the rows
        (``Flow.add``) before asking for the next flow. ``(flow_uuid, id)`` order is served by
        CrewAI's index on flow_uuid (its entries are ordered by rowid = id)."""
        cursor = self.conn.execute(
            "select id, flow_uuid, method_name, timestamp, state_json, typeof(flow_uuid) || ' '"
            " || typeof(method_name) || ' ' || typeof(timestamp) || ' ' || typeof(state_json)"
            " from flow_states order by flow_uuid, id")
        for key, group in itertools.groupby(cursor, key=lambda r: r[1]):
            flow = Flow(external_id="")
            first = next(group)
            flow.external_id = self._external_id(key, first[5].split()[0], flow.problems)
            flow.pending = self._pending(key, flow.problems)
            yield flow, self._rows(itertools.chain([first], group), flow)

    def _external_id(self, key: Any, kind: bytes, problems: list[str]) -> str:
        text = _text(key, kind.decode(), "flow_uuid", "flow_uuid", problems)
        return text or (key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key))

    def _rows(self, raw: Iterator[tuple], flow: Flow) -> Iterator[Row]:
        for legacy_id, _uuid, method, ts, state, kinds in raw:
            if kinds == b"text text text text":
                try:  # the common case: valid UTF-8 without NUL
                    method_s, ts_s, state_s = method.decode(), ts.decode(), state.decode()
                    if "\x00" in state_s or "\x00" in method_s or "\x00" in ts_s:
                        raise ValueError
                except ValueError:
                    method_s, ts_s, state_s = self._checked(legacy_id, method, ts, state, kinds, flow.problems)
            else:
                method_s, ts_s, state_s = self._checked(legacy_id, method, ts, state, kinds, flow.problems)
                method, ts, state = (v if isinstance(v, bytes) else str(v).encode() for v in (method, ts, state))
            yield Row(legacy_id, method_s, ts_s, state_s, len(state), row_line(legacy_id, method, ts, sha256_hex(state)))

    @staticmethod
    def _checked(legacy_id, method, ts, state, kinds: bytes, problems: list[str]) -> tuple[str, str, str]:
        """The three texts of a row, every problem with them added to ``problems``."""
        where = f"legacy row {legacy_id}"
        kind_m, kind_t, kind_s = kinds.decode().split()[1:]
        return (_text(method, kind_m, "method_name", where, problems), _text(ts, kind_t, "timestamp", where, problems),
                _text(state, kind_s, "state_json", where, problems))

    def _pending(self, key: Any, problems: list[str]) -> dict | None:
        if not self.has_pending:
            return None
        row = self.conn.execute(
            "select id, context_json, state_json, created_at, typeof(context_json), typeof(state_json),"
            " typeof(created_at) from pending_feedback where flow_uuid = cast(? as text)",  # key: bytes
            (key,)).fetchone()
        if row is None:
            return None
        legacy_id, context, state, created, kc, ks, kt = row
        where = f"pending_feedback row {legacy_id}"
        texts = [_text(v, k.decode(), c, where, problems)
                 for v, k, c in ((context, kc, "context_json"), (state, ks, "state_json"), (created, kt, "created_at"))]
        raw = [v if isinstance(v, bytes) else str(v).encode() for v in (context, state, created)]
        return {"legacy_id": legacy_id, "context_json": texts[0], "state_json": texts[1],
                "created_at": texts[2], "line": pending_line(legacy_id, *raw)}


def _copy_hashing(source: Path, target: Path, digest) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            dst.write(block)


# -- the report ------------------------------------------------------------------------------


@dataclass
class Failure:
    external_id: str
    rows: int
    reason: str
    kind: str = "invalid"  # invalid | conflict | error
    flow_id: str | None = None


@dataclass
class MigrationReport:
    source: str
    fingerprint: str = ""
    source_bytes: int = 0
    copied: bool = False
    dry_run: bool = False
    verify_only: bool = False
    flows_total: int = 0
    rows_total: int = 0
    flows_migrated: int = 0
    rows_migrated: int = 0
    flows_skipped: int = 0  # already migrated
    rows_skipped: int = 0
    flows_failed: int = 0
    rows_failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    mapped: list[dict] = field(default_factory=list)  # {external_id, notes}: current state mapped
    verified: bool = False
    flows_verified: int = 0
    rows_verified: int = 0
    differences: list[dict] = field(default_factory=list)  # {external_id, problem}
    errors: list[str] = field(default_factory=list)  # run-level problems (source changed, ...)
    state_bytes: int = 0  # state text read from the source
    seconds: float = 0.0
    import_seconds: float = 0.0
    verify_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.failures or self.differences or self.errors)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["rows_per_second"] = round(self.rows_total / self.seconds, 1) if self.seconds else None
        data["mb_per_second"] = round(self.state_bytes / 1e6 / self.seconds, 2) if self.seconds else None
        return data

    def fail(self, flow: Flow, reason: str, kind: str = "invalid", flow_id: str | None = None) -> None:
        self.flows_failed += 1
        self.rows_failed += flow.row_count
        self.failures.append(Failure(flow.external_id, flow.row_count, reason, kind, flow_id))


# -- the migrator ----------------------------------------------------------------------------


class _Budget:
    """Bytes read from the source and not yet imported, bounded (one flow may exceed the
    bound alone)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self.changed = asyncio.Condition()

    async def acquire(self, n: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: self.used == 0 or self.used + n <= self.limit)
            self.used += n

    async def release(self, n: int) -> None:
        async with self.changed:
            self.used -= n
            self.changed.notify_all()


Progress = Callable[[str, int], AbstractContextManager]  # (label, total rows) -> bar with .update(n)


class _NoProgress:
    def update(self, n: int) -> None:
        pass


def _no_progress(label: str, total: int) -> AbstractContextManager:
    return nullcontext(_NoProgress())


class StateMigrator:
    """Migrate CrewAI SQLite flow-state databases into PostgreSQL for one tenant.

    ``target``: a DSN or an asyncpg pool (from :func:`pgflowstate.create_pool` or plain).
    ``context``: the tenant (and user) the flows are imported into.
    ``dry_run``: every import runs and is rolled back: PostgreSQL keeps nothing.
    """

    def __init__(self, target: str | asyncpg.Pool, context: RequestContext, *, workers: int = 4,
                 dry_run: bool = False, part_bytes: int = PART_BYTES,
                 inflight_bytes: int = INFLIGHT_BYTES, progress: Progress | None = None) -> None:
        self._target = target
        self.context = context
        self._context = encode_json(context.jsonb())
        self.workers = max(1, workers)
        self.dry_run = dry_run
        self.part_bytes = part_bytes
        self.inflight_bytes = inflight_bytes
        self.progress = progress or _no_progress

    # -- public ------------------------------------------------------------------------------

    async def migrate(self, path: str | os.PathLike) -> MigrationReport:
        """Import every flow of the source not yet imported, then verify them all (unless a
        dry run). Never raises for a flow: each failure is in the report with its reason."""
        started = time.monotonic()
        with SqliteSource(path) as source:
            report = self._new_report(source)
            async with self._pool() as pool:
                await self._import_all(pool, source, report)
                if not self.dry_run:
                    await _flush(pool)
                report.import_seconds = time.monotonic() - started
                if not self.dry_run:
                    failed = {f.external_id for f in report.failures}
                    await self._verify_all(pool, source, report, skip=failed)
                    report.verify_seconds = time.monotonic() - started - report.import_seconds
            if source.changed():
                report.errors.append(f"{source.path} changed during the run (a writer is active); "
                                     "stop it and run again")
        report.seconds = time.monotonic() - started
        return report

    async def verify(self, path: str | os.PathLike) -> MigrationReport:
        """Compare every flow of the source with PostgreSQL (content hashes); write nothing."""
        started = time.monotonic()
        with SqliteSource(path) as source:
            report = self._new_report(source)
            report.verify_only = True
            async with self._pool() as pool:
                await self._verify_all(pool, source, report, skip=set())
        report.seconds = report.verify_seconds = time.monotonic() - started
        return report

    # -- setup -------------------------------------------------------------------------------

    def _new_report(self, source: SqliteSource) -> MigrationReport:
        report = MigrationReport(source=str(source.path), fingerprint=source.fingerprint,
                                 source_bytes=source.size, copied=source.copied, dry_run=self.dry_run)
        try:
            report.rows_total, report.flows_total = source.counts()
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"cannot read {source.path}: {exc}") from exc
        return report

    @asynccontextmanager
    async def _pool(self):
        if isinstance(self._target, str):
            pool = await _connect(self._target, self.workers)
            try:
                await _check_server(pool)
                yield pool
            finally:
                await pool.close()
        else:
            await _check_server(self._target)
            yield self._target

    def _source_json(self, source: SqliteSource) -> str:
        return encode_json({"fingerprint": source.fingerprint, "path": str(source.path),
                            "host": socket.gethostname(), "bytes": source.size})

    # -- import ------------------------------------------------------------------------------

    async def _import_all(self, pool, source: SqliteSource, report: MigrationReport) -> None:
        """Stream flows from the source to ``workers`` connections, one flow per call. Flows go
        in batches: one flow_import_status call per batch says which are in the ledger already
        (compared by hash, not sent again)."""
        source_json = self._source_json(source)
        budget = _Budget(self.inflight_bytes)
        work: asyncio.Queue = asyncio.Queue(maxsize=self.workers * 2)
        fatal: list[BaseException] = []  # a lost connection stops the run
        label = "checking (dry run)" if self.dry_run else "migrating"
        with self.progress(label, report.rows_total) as bar:

            async def worker() -> None:
                while (flow := await work.get()) is not None:
                    try:
                        if not fatal:
                            await self._import_flow(pool, flow, source_json, report)
                    except Exception as exc:
                        fatal.append(exc)
                    finally:
                        flow.rows = []
                        bar.update(flow.row_count)
                        await budget.release(flow.nbytes)

            async def dispatch(batch: list[Flow]) -> None:
                # In the background, so the reader goes on meanwhile.
                try:
                    known = {r["external_id"]: r for r in
                             await pool.fetch(_STATUS, [f.external_id for f in batch], self._context)}
                    while batch:
                        flow = batch.pop(0)
                        if flow.external_id in known:
                            self._compare_with_ledger(flow, known[flow.external_id], report)
                            bar.update(flow.row_count)
                            await budget.release(flow.nbytes)
                        else:
                            await work.put(flow)
                except Exception as exc:
                    fatal.append(exc)
                    for flow in batch:
                        await budget.release(flow.nbytes)
                finally:
                    gate.release()

            async def launch(batch: list[Flow]) -> None:
                await gate.acquire()
                task = asyncio.create_task(dispatch(batch))
                dispatching.add(task)
                task.add_done_callback(dispatching.discard)

            gate = asyncio.Semaphore(2)
            dispatching: set[asyncio.Task] = set()
            tasks = [asyncio.create_task(worker()) for _ in range(self.workers)]
            batch: list[Flow] = []
            batch_bytes = 0
            try:
                for flow, rows in _guard(source.flows(), source):
                    if fatal:
                        break
                    small = True
                    for row in _guard(rows, source):
                        flow.add(row)
                        report.state_bytes += row.nbytes
                        if flow.nbytes > self.part_bytes:
                            small = False
                            break
                    if small:
                        await budget.acquire(flow.nbytes)
                        batch.append(flow)
                        batch_bytes += flow.nbytes
                        if len(batch) >= STATUS_BATCH or batch_bytes >= self.part_bytes:
                            await launch(batch)
                            batch, batch_bytes = [], 0
                    else:  # rare: a flow too big for one call, sent in parts from here
                        await self._import_big(pool, flow, rows, source, source_json, report)
                        bar.update(flow.row_count)
                    await asyncio.sleep(0)  # let the workers send what they have
                else:
                    await launch(batch)
                    batch = []
                    for external_id in source.orphan_pending():
                        report.flows_total += 1
                        report.fail(Flow(external_id), "pending feedback without any flow_states row")
            finally:
                for flow in batch:
                    await budget.release(flow.nbytes)
                await asyncio.gather(*dispatching)
                for _ in tasks:
                    await work.put(None)
                await asyncio.gather(*tasks)
        if fatal:
            if _lost_connection(fatal[0]):
                raise ConnectionFailed(f"lost the connection to the server: {one_line(fatal[0])} "
                                          "(what was imported is kept: run again to resume)") from fatal[0]
            raise fatal[0]

    async def _import_flow(self, pool, flow: Flow, source_json: str, report: MigrationReport) -> None:
        if flow.problems:
            report.fail(flow, " ".join(flow.problems))
            return
        args = self._args(flow, flow.rows, source_json, flow.pending, more=False)
        try:
            async with pool.acquire() as conn:
                if self.dry_run:
                    async with conn.transaction():
                        result = await self._call(conn, args)
                        raise _Rollback(result)
                result = await self._call(conn, args)
        except _Rollback as rollback:
            result = rollback.result
        except StateError as exc:
            self._refused(flow, exc, report)
            return
        except asyncpg.PostgresError as exc:
            if _lost_connection(exc):
                raise
            report.fail(flow, f"{exc.sqlstate}: {exc}", "error")  # rolled back; the others go on
            return
        self._record(flow, result, report)

    async def _import_big(self, pool, flow: Flow, rows: Iterator[Row], source: SqliteSource,
                          source_json: str, report: MigrationReport) -> None:
        """A flow with more than part_bytes of state, sent in parts of about part_bytes in one
        transaction. Already in the ledger: only hashed (nothing sent) and compared."""
        async with pool.acquire() as conn:
            status = await conn.fetch(_STATUS, [flow.external_id], self._context)
            if status:
                flow.rows = []
                for row in _guard(rows, source):
                    flow.add(row, keep=False)
                    report.state_bytes += row.nbytes
                self._compare_with_ledger(flow, status[0], report)
                return
            result = None
            transaction = conn.transaction()
            await transaction.start()
            try:
                part_size = flow.nbytes
                for row in _guard(rows, source):
                    report.state_bytes += row.nbytes
                    if flow.problems:
                        flow.add(row, keep=False)  # counted only: the flow will not be imported
                        continue
                    if part_size + row.nbytes > self.part_bytes:
                        await self._call(conn, self._args(flow, flow.rows, source_json, None, more=True))
                        flow.rows, part_size = [], 0
                    flow.add(row)
                    part_size += row.nbytes
                if not flow.problems:
                    result = await self._call(conn, self._args(flow, flow.rows, source_json, flow.pending, more=False))
                if self.dry_run or flow.problems:
                    await transaction.rollback()
                else:
                    await transaction.commit()
            except StateError as exc:
                await transaction.rollback()
                self._refused(flow, exc, report)
                return
            except asyncpg.PostgresError as exc:
                if _lost_connection(exc):
                    raise
                await transaction.rollback()
                report.fail(flow, f"{exc.sqlstate}: {exc}", "error")
                return
            except BaseException:
                if not conn.is_closed():
                    await transaction.rollback()
                raise
            finally:
                flow.rows = []
        if flow.problems:
            report.fail(flow, " ".join(flow.problems))
        else:
            self._record(flow, result, report)

    def _args(self, flow: Flow, rows: list[Row], source_json: str, pending: dict | None, more: bool) -> tuple:
        pending_json = None
        if pending is not None:
            pending_json = encode_json({k: v for k, v in pending.items() if k != "line"})
        return (flow.external_id, [r.legacy_id for r in rows], [r.method for r in rows],
                [r.timestamp for r in rows], [r.state for r in rows], source_json, self._context,
                pending_json, more)

    async def _call(self, conn, args: tuple) -> dict:
        with sqlstate_errors():
            return await conn.fetchval(_IMPORT, *args)

    def _record(self, flow: Flow, result: dict, report: MigrationReport) -> None:
        if result["status"] == "already_migrated":
            report.flows_skipped += 1
            report.rows_skipped += flow.row_count
            return
        report.flows_migrated += 1
        report.rows_migrated += flow.row_count
        if result.get("mapped"):
            report.mapped.append({"external_id": flow.external_id, "flow_id": result["flow_id"],
                                  "notes": result["mapped"]})
        if result.get("content_hash") != flow.content_hash():
            report.differences.append({"external_id": flow.external_id, "problem":
                                       "PostgreSQL stored other content than the source holds (content hash)."})

    def _refused(self, flow: Flow, exc: StateError, report: MigrationReport) -> None:
        detail = exc.detail
        if isinstance(exc, FlowExistsError):
            report.fail(flow, _conflict_reason(detail), "conflict", detail.get("flow_id"))
        elif isinstance(exc, StateValidationError):
            report.fail(flow, " ".join(detail.get("errors") or [str(exc)]), "invalid", detail.get("flow_id"))
        else:
            report.fail(flow, str(exc), "error", detail.get("flow_id"))

    def _compare_with_ledger(self, flow: Flow, entry, report: MigrationReport) -> None:
        if flow.problems:
            report.fail(flow, " ".join(flow.problems))
        elif entry["content_hash"] == flow.content_hash():
            report.flows_skipped += 1
            report.rows_skipped += flow.row_count
        else:
            detail = {"reason": "imported with other content", "imported": {
                "source": entry["source"], "source_fingerprint": entry["source_fingerprint"],
                "rows": entry["row_count"]}, "offered": {"rows": flow.row_count}}
            report.fail(flow, _conflict_reason(detail), "conflict", str(entry["flow_id"]))

    # -- verification ------------------------------------------------------------------------

    async def _verify_all(self, pool, source: SqliteSource, report: MigrationReport, skip: set[str]) -> None:
        """Recompute every flow's content hash from the source and compare it with the one
        PostgreSQL recomputes from the stored text, with flow_import_verify's own checks."""
        batch: list[Flow] = []
        inflight = None  # one batch checked by PostgreSQL while the next is read
        with self.progress("verifying", report.rows_total) as bar:

            async def send(flows: list[Flow]) -> None:
                await self._verify_batch(pool, flows, report)
                bar.update(sum(f.row_count for f in flows))

            for flow, rows in _guard(source.flows(), source):
                for row in _guard(rows, source):
                    flow.add(row, keep=False)
                if flow.external_id in skip or (flow.problems and not report.verify_only):
                    bar.update(flow.row_count)
                    continue
                if report.verify_only:
                    report.state_bytes += flow.nbytes
                batch.append(flow)
                if len(batch) >= VERIFY_BATCH:
                    if inflight:
                        await inflight
                    inflight = asyncio.create_task(send(batch))
                    await asyncio.sleep(0)  # let it send its query
                    batch = []
            if inflight:
                await inflight
            if batch:
                await send(batch)
        report.verified = True

    async def _verify_batch(self, pool, flows: list[Flow], report: MigrationReport) -> None:
        records = await pool.fetch(_VERIFY, [f.external_id for f in flows], self._context)
        for flow, record in zip(flows, records):
            problems = list(record["problems"])
            if flow.problems:
                problems = flow.problems + problems
            elif record["row_count"] and record["content_hash"] != flow.content_hash():
                problems.append(f"The stored rows ({record['row_count']}) differ from the source "
                                f"({flow.row_count} rows): content hash {record['content_hash']} "
                                f"instead of {flow.content_hash()}.")
            if problems:
                report.differences.append({"external_id": flow.external_id, "flow_id": str(record["flow_id"]),
                                           "problem": " ".join(problems)})
            else:
                report.flows_verified += 1
                report.rows_verified += flow.row_count


class _Rollback(Exception):
    def __init__(self, result) -> None:
        super().__init__("rollback")
        self.result = result


def _guard(iterator: Iterator, source: SqliteSource) -> Iterator:
    """Source read errors mid-stream (a corrupted page) as SourceError with the path."""
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"cannot read {source.path}: {exc}") from exc
        yield item


def _lost_connection(exc: BaseException) -> bool:
    """Errors that end the run rather than one flow's import: the connection is gone, or the
    server is shutting down (SQLSTATE classes 08 and 57P)."""
    sqlstate = getattr(exc, "sqlstate", "") or ""
    return sqlstate.startswith(("08", "57P")) or isinstance(exc, (OSError, asyncpg.InterfaceError))


def _conflict_reason(detail: dict) -> str:
    imported = detail.get("imported") or {}
    offered = detail.get("offered") or {}
    if detail.get("reason") != "imported with other content":
        return f"conflict: {detail.get('reason') or 'the flow already exists'}; never merged"
    where = (imported.get("source") or {}).get("path") or "another source"
    return (f"conflict: already imported from {where} ({imported.get('source_fingerprint', '')[:19]}, "
            f"{imported.get('rows')} rows) with other content; this source has {offered.get('rows')} rows; "
            "never merged")


async def _connect(dsn: str, workers: int) -> asyncpg.Pool:
    # One connection per worker, and one for ledger lookups and big flows.
    # Asynchronous commit: an import does not wait for its WAL flush. A server crash can
    # only lose the last imports whole (ledger included), which the next run redoes; the
    # run ends with one synchronous commit (_flush), so the report never outruns the disk.
    return await open_pool(dsn, min_size=workers + 1, max_size=workers + 1,
                           server_settings={"synchronous_commit": "off"})


async def _flush(pool) -> None:
    """Wait until every import so far is on disk: a synchronous commit flushes the WAL up to
    itself, so everything committed before it too."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute("set local synchronous_commit = on")
            await conn.fetchval("select pg_catalog.txid_current()")


async def _check_server(pool) -> None:
    """The schema must have the import functions, and the server must store UTF-8 text
    unchanged (the exact original text is the point)."""
    if not await schema_ready(pool):
        raise ConnectionFailed("the flowstate schema is missing or out of date: run `pgflowstate db upgrade`")
    encoding = await pool.fetchval("select current_setting('server_encoding')")
    if encoding != "UTF8":
        raise ConnectionFailed(f"the server encoding is {encoding}; migrating exact text needs UTF8")


# -- human output ----------------------------------------------------------------------------


def format_report(r: dict, limit: int = 20) -> str:
    """The summary table printed by `pgflowstate migrate-sqlite`."""
    kind = "verification" if r["verify_only"] else ("dry run (nothing written)" if r["dry_run"] else "migration")
    lines = [f"{kind} of {r['source']}",
             f"  source: {r['source_bytes'] / 1e6:,.1f} MB, {r['fingerprint'][:23]}…"
             + (" (read from a private copy: the WAL held rows)" if r["copied"] else ""), ""]
    if not r["verify_only"]:
        verb = "would migrate" if r["dry_run"] else "migrated"
        lines += [f"  {'':<26}{'flows':>10}{'rows':>12}",
                  f"  {verb:<26}{r['flows_migrated']:>10,}{r['rows_migrated']:>12,}",
                  f"  {'skipped (already migrated)':<26}{r['flows_skipped']:>10,}{r['rows_skipped']:>12,}",
                  f"  {'failed':<26}{r['flows_failed']:>10,}{r['rows_failed']:>12,}",
                  f"  {'total':<26}{r['flows_total']:>10,}{r['rows_total']:>12,}",
                  f"  {'mapped (current state)':<26}{len(r['mapped']):>10,}"]
    if r["failures"]:
        lines += ["", "failed:"] + [f"  {f['external_id']}: {f['reason']}" for f in r["failures"][:limit]]
        if len(r["failures"]) > limit:
            lines.append(f"  ... and {len(r['failures']) - limit} more (--json lists all)")
    if r["mapped"]:
        lines += ["", "mapped (exact text kept; see flowstate.flow_legacy_history):"]
        lines += [f"  {m['external_id']}: {' '.join(m['notes'])}" for m in r["mapped"][:limit]]
        if len(r["mapped"]) > limit:
            lines.append(f"  ... and {len(r['mapped']) - limit} more (--json lists all)")
    lines.append("")
    if r["verified"]:
        if r["differences"]:
            lines.append(f"verification: {len(r['differences'])} DIFFERENCES between source and PostgreSQL:")
            lines += [f"  {d['external_id']}: {d['problem']}" for d in r["differences"][:limit]]
            if len(r["differences"]) > limit:
                lines.append(f"  ... and {len(r['differences']) - limit} more (--json lists all)")
        else:
            lines.append(f"verification: {r['flows_verified']:,} flows and {r['rows_verified']:,} rows "
                         "match the source (content hashes recomputed on both sides)")
    elif r["dry_run"]:
        lines.append("verification: skipped (dry run)")
    lines += [f"error: {e}" for e in r["errors"]]
    if r["seconds"]:
        lines.append(f"time: {r['seconds']:.1f} s, {r['rows_per_second'] or 0:,.0f} rows/s, "
                     f"{r['mb_per_second'] or 0:,.1f} MB/s")
    return "\n".join(lines)


if __name__ == "__main__":
    from .cli import migrate_sqlite

    migrate_sqlite(prog_name="python -m pgflowstate.migrator")
