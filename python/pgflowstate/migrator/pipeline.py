"""The pipeline: flows streamed from the source to a few connections, one
``flowstate.flow_import_legacy_batch`` call (one transaction, each flow in a subtransaction of
its own) per batch of flows, with a bounded number of
bytes in flight so memory stays flat whatever the size of the source (a flow bigger than
``part_bytes`` goes in parts within one transaction); then every flow verified against the
source by content hash (``flow_import_verify``)."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from typing import Callable, Iterator

import asyncpg

from ..codec import context_json, decode_json, encode_json, exact_record
from ..connection import ConnectionFailed, one_line, open_pool
from ..errors import FlowExistsError, StateError, StateValidationError, error_from, sqlstate_errors
from ..models import RequestContext
from ..schema import schema_ready
from .report import MigrationReport
from .source import Flow, Row, SqliteSource, SourceError

PART_BYTES = 8 << 20  # a flow with more state text than this goes in parts
INFLIGHT_BYTES = 32 << 20  # state text read from the source and not yet imported
VERIFY_BATCH = 200  # flows per flow_import_verify call
STATUS_BATCH = 64  # flows per flow_import_status call, and per import batch (at most part_bytes of them)

_IMPORT = (
    "select flowstate.flow_import_legacy(p_external_id => $1, p_legacy_ids => $2,"
    " p_method_names => $3, p_timestamps => $4, p_states => $5, p_source => $6,"
    " p_context => $7, p_pending => $8, p_more => $9, p_exact => $10)"
)
_IMPORT_BATCH = (
    "select flowstate.flow_import_legacy_batch(p_external_ids => $1, p_row_counts => $2,"
    " p_legacy_ids => $3, p_method_names => $4, p_timestamps => $5, p_states => $6,"
    " p_pendings => $7::text[]::jsonb[], p_source => $8, p_context => $9, p_exacts => $10::text[]::jsonb[])"
)
_STATUS = "select * from flowstate.flow_import_status(p_external_ids => $1, p_context => $2)"
_VERIFY = "select * from flowstate.flow_import_verify(p_external_ids => $1, p_context => $2)"



async def import_legacy_flow(conn, context: str | None, source: str, flow: Flow, rows: list[Row],
                             pending: dict | None, more: bool = False) -> dict:
    """flowstate.flow_import_legacy for ``rows`` of ``flow`` (``pending``: its pending feedback,
    given with the last part; ``more`` while parts of the flow follow in the same transaction),
    in the one argument order every caller uses: the migrator and the CrewAI cutover.
    ``context`` and ``source`` are JSON text. FS00x become StateError."""
    with sqlstate_errors():
        result = await conn.fetchval(
            _IMPORT, flow.external_id, [r.legacy_id for r in rows], [r.method for r in rows],
            [r.timestamp for r in rows], [r.state for r in rows], source, context, _pending_json(pending), more,
            None if more else exact_json(rows, pending))
    return decode_json(result) if isinstance(result, str) else result  # a plain pool: JSON text


async def import_legacy_flows(conn, context: str | None, source: str, flows: list[Flow]) -> list[dict]:
    """flowstate.flow_import_legacy_batch for whole ``flows`` (their rows and pending feedback):
    one result per flow, in order, each what import_legacy_flow returns or
    {external_id, status: "refused", sqlstate, message, detail}. FS00x of the call as a whole
    become StateError."""
    with sqlstate_errors():
        result = await conn.fetchval(
            _IMPORT_BATCH, [f.external_id for f in flows], [len(f.rows) for f in flows],
            [r.legacy_id for f in flows for r in f.rows], [r.method for f in flows for r in f.rows],
            [r.timestamp for f in flows for r in f.rows], [r.state for f in flows for r in f.rows],
            [_pending_json(f.pending) for f in flows], source, context,
            [exact_json(f.rows, f.pending) for f in flows])
    return decode_json(result) if isinstance(result, str) else result  # a plain pool: JSON text


def _pending_json(pending: dict | None) -> str | None:
    if pending is None:
        return None
    return encode_json({k: v for k, v in pending.items() if k != "line"})


def exact_json(rows: list[Row], pending: dict | None) -> str | None:
    """flow_import_legacy's p_exact for a flow's last rows: the values of its latest state and
    pending context that jsonb cannot hold, recorded as a live save records them
    (codec.exact_record), or None when there are none."""
    exact = {"state": exact_record(rows[-1].state),
             "feedback": None if pending is None else exact_record(pending["context_json"])}
    return encode_json({k: v for k, v in exact.items() if v}) if any(exact.values()) else None


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
        self._context = context_json(context)
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
                while (flows := await work.get()) is not None:
                    try:
                        if not fatal:
                            await self._import_batch(pool, flows, source_json, report)
                    except Exception as exc:
                        fatal.append(exc)
                    finally:
                        for flow in flows:
                            flow.rows = []
                            bar.update(flow.row_count)
                            await budget.release(flow.nbytes)

            async def dispatch(batch: list[Flow]) -> None:
                # In the background, so the reader goes on meanwhile.
                try:
                    known = {r["external_id"]: r for r in
                             await pool.fetch(_STATUS, [f.external_id for f in batch], self._context)}
                    new = []
                    while batch:
                        flow = batch.pop(0)
                        if flow.external_id in known:
                            self._compare_with_ledger(flow, known[flow.external_id], report)
                            bar.update(flow.row_count)
                            await budget.release(flow.nbytes)
                        else:
                            new.append(flow)
                    if new:
                        await work.put(new)
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
                for flow, rows in source.guarded(source.flows()):
                    if fatal:
                        break
                    small = True
                    for row in source.guarded(rows):
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

    async def _import_batch(self, pool, flows: list[Flow], source_json: str, report: MigrationReport) -> None:
        """Flows in one call; each refused flow is reported with why, the others kept. Should the
        call fail as a whole (an error no subtransaction catches, such as a timeout), the flows
        go one per call, as a batch of one each."""
        ready = []
        for flow in flows:
            if flow.problems:
                report.fail(flow, " ".join(flow.problems))
            else:
                ready.append(flow)
        if not ready:
            return
        try:
            async with pool.acquire() as conn:
                if self.dry_run:
                    async with conn.transaction():
                        results = await import_legacy_flows(conn, self._context, source_json, ready)
                        raise _Rollback(results)
                results = await import_legacy_flows(conn, self._context, source_json, ready)
        except _Rollback as rollback:
            results = rollback.result
        except (StateError, asyncpg.PostgresError) as exc:
            if _lost_connection(exc):
                raise
            for flow in ready:
                await self._import_flow(pool, flow, source_json, report)
            return
        for flow, result in zip(ready, results):
            if result["status"] != "refused":
                self._record(flow, result, report)
            elif result.get("sqlstate", "").startswith("FS"):
                self._failed(flow, error_from(result), report)
            else:
                report.fail(flow, f"{result.get('sqlstate')}: {result.get('message')}", "error")

    async def _import_flow(self, pool, flow: Flow, source_json: str, report: MigrationReport) -> None:
        if flow.problems:
            report.fail(flow, " ".join(flow.problems))
            return
        try:
            async with pool.acquire() as conn:
                if self.dry_run:
                    async with conn.transaction():
                        result = await import_legacy_flow(conn, self._context, source_json, flow, flow.rows, flow.pending)
                        raise _Rollback(result)
                result = await import_legacy_flow(conn, self._context, source_json, flow, flow.rows, flow.pending)
        except _Rollback as rollback:
            result = rollback.result
        except (StateError, asyncpg.PostgresError) as exc:
            if _lost_connection(exc):
                raise
            self._failed(flow, exc, report)  # rolled back; the others go on
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
                for row in source.guarded(rows):
                    flow.add(row, keep=False)
                    report.state_bytes += row.nbytes
                self._compare_with_ledger(flow, status[0], report)
                return
            result = None
            transaction = conn.transaction()
            await transaction.start()
            try:
                part_size = flow.nbytes
                for row in source.guarded(rows):
                    report.state_bytes += row.nbytes
                    if flow.problems:
                        flow.add(row, keep=False)  # counted only: the flow will not be imported
                        continue
                    if part_size + row.nbytes > self.part_bytes:
                        await import_legacy_flow(conn, self._context, source_json, flow, flow.rows, None, more=True)
                        flow.rows, part_size = [], 0
                    flow.add(row)
                    part_size += row.nbytes
                if not flow.problems:
                    result = await import_legacy_flow(conn, self._context, source_json, flow, flow.rows, flow.pending)
                if self.dry_run or flow.problems:
                    await transaction.rollback()
                else:
                    await transaction.commit()
            except (StateError, asyncpg.PostgresError) as exc:
                if _lost_connection(exc):
                    raise
                await transaction.rollback()
                self._failed(flow, exc, report)
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

    def _failed(self, flow: Flow, exc: StateError | asyncpg.PostgresError, report: MigrationReport) -> None:
        """A flow whose import was refused (StateError) or failed: reported with why."""
        if not isinstance(exc, StateError):
            report.fail(flow, f"{exc.sqlstate}: {exc}", "error")
            return
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

            for flow, rows in source.guarded(source.flows()):
                for row in source.guarded(rows):
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


