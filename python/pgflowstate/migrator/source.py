"""The source: CrewAI's SQLite flow-state database, read exactly, and the content hash of
each flow read from it (the same definition as ``flowstate._legacy_content_hash``).

Opened without writing anything next to the file: the file itself with ``immutable=1`` when
no ``-wal``/``-journal`` side file exists (committed rows are all in the file then), else a
private copy of the file and its side files (``mode=ro`` would still create side files, and
``immutable=1`` would miss the rows still in the WAL). Rows stream in (flow_uuid, id) order,
one flow at a time. The migrator and the CrewAI cutover both read CrewAI's files through here.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import sqlite3
import sys
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

SIDE_FILES = ("-wal", "-journal")

# A flow_states row with the SQLite type of each value (only TEXT is imported as it is).
_ROWS = ("select id, flow_uuid, method_name, timestamp, state_json, typeof(flow_uuid) || ' '"
         " || typeof(method_name) || ' ' || typeof(timestamp) || ' ' || typeof(state_json)"
         " from flow_states")


class SourceError(Exception):
    """The SQLite source cannot be used (missing, not a database, not CrewAI's): nothing was
    migrated (CLI exit code 2)."""


def default_path() -> Path:
    """CrewAI's default database: ``db_storage_path()/flow_states.db`` (crewai_core.paths), that
    is ``appdirs.user_data_dir(<$CREWAI_STORAGE_DIR or the current directory's name>, "CrewAI")``.
    Unlike CrewAI, this never creates the directory."""
    app = os.environ.get("CREWAI_STORAGE_DIR", Path.cwd().name)
    try:  # lazily: appdirs is CrewAI's dependency, not ours; without it, the same rule below
        import appdirs
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
    """A CrewAI flow-state database, opened so that nothing next to it is created or changed.

    ``live=True`` for a file CrewAI is using (the cutover reads one flow at a time from it):
    read through SQLite's own locking as CrewAI's readers do, with no private copy and no
    fingerprint (``fingerprint`` and ``size`` stay empty).
    """

    def __init__(self, path: str | os.PathLike, live: bool = False) -> None:
        self.path = Path(path).absolute()
        self.live = live
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
        uri = f"file:{quote(str(self.path))}?mode=ro" if self.live else self._snapshot()
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self.conn.text_factory = bytes  # exact bytes; decoded (and checked) per value
            self.conn.execute("pragma query_only = on")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"cannot read {self.path}: {exc}") from exc

    def _snapshot(self) -> str:
        """The URI to read a consistent snapshot of the file from; sets fingerprint and size."""
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
        return uri

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
        return self._grouped(self.conn.execute(f"{_ROWS} order by flow_uuid, id"))

    def flow(self, external_id: str) -> Flow | None:
        """One flow with all its rows read into ``Flow.rows`` (id order) and its pending
        feedback, or None when the source has no row of it."""
        for flow, rows in self.guarded(self._grouped(self.conn.execute(
                f"{_ROWS} where flow_uuid = ? order by id", (external_id,)))):
            for row in self.guarded(rows):
                flow.add(row)
            return flow
        return None

    def flow_ids(self) -> list[str]:
        """Every flow's id, oldest flow (lowest first row id) first."""
        return [r[0].decode("utf-8", "replace") if isinstance(r[0], bytes) else str(r[0])
                for r in self.guarded(self.conn.execute(
                    "select flow_uuid from flow_states group by flow_uuid order by min(id)"))]

    def guarded(self, iterator: Iterator) -> Iterator:
        """Read errors mid-stream (a corrupted page) as SourceError with the path."""
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except sqlite3.DatabaseError as exc:
                raise SourceError(f"cannot read {self.path}: {exc}") from exc
            yield item

    def _grouped(self, cursor: Iterator[tuple]) -> Iterator[tuple[Flow, Iterator[Row]]]:
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
