"""Operator commands: validate, show, history, diff, checkpoint, recover, stats, watch, demo, docs.

Registered on `pgflowstate.cli.main` (cli.py imports this module). Each command is a thin layer
over one flowstate.* function, called on one connection. Operators usually connect as a
superuser or a flowstate_admin member, so commands act across tenants (p_context NULL) unless
--client-account-id, --engagement-id and --user-id are given.
"""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, TypeVar
from uuid import UUID

import asyncpg
import click

from pgflowstate.cli import EXIT_FAILED, EXIT_USAGE, cli_errors, dsn_option, emit, fail, json_option, main, resolve_dsn

T = TypeVar("T")

# -- plumbing -----------------------------------------------------------------------------


def tenant_options(command: Callable) -> Callable:
    """--client-account-id/--engagement-id/--user-id: act as that tenant (all three or none)."""
    for name, what in reversed((("client-account-id", "client account"),
                                ("engagement-id", "engagement"), ("user-id", "user"))):
        command = click.option(f"--{name}", type=click.UUID, metavar="UUID",
                               help=f"Act as this {what} (give all three tenant options).")(command)
    return command


def context_json(client_account_id: UUID | None, engagement_id: UUID | None,
                 user_id: UUID | None) -> str | None:
    """The p_context argument: None (all tenants, admins only) or the tenant's JSON."""
    given = [v for v in (client_account_id, engagement_id, user_id) if v is not None]
    if not given:
        return None
    if len(given) < 3:
        fail("--client-account-id, --engagement-id and --user-id go together", EXIT_USAGE)
    return json.dumps({"client_account_id": str(client_account_id),
                       "engagement_id": str(engagement_id), "user_id": str(user_id)})


CONNECT_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError)


def asyncpg_url(dsn: str) -> str:
    """asyncpg takes URLs only; libpq key=value DSNs are converted."""
    from pgflowstate import db
    from pgflowstate.testing import url

    try:
        return url(dsn)
    except Exception as exc:
        raise db.ConnectionFailed(f"invalid DSN: {db.one_line(exc)}") from exc


@asynccontextmanager
async def connection(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection with the wrapper's JSON codecs; connection failures become
    db.ConnectionFailed (exit 2)."""
    from pgflowstate import db
    from pgflowstate.store import set_json_codecs

    try:
        conn = await asyncpg.connect(asyncpg_url(dsn), timeout=10)
    except CONNECT_ERRORS as exc:
        raise db.ConnectionFailed(f"cannot connect to {db.describe(dsn)}: {db.one_line(exc)}") from exc
    try:
        await set_json_codecs(conn)
        yield conn
    finally:
        await conn.close()


@contextmanager
def operation_errors() -> Iterator[None]:
    """flowstate's errors (and other server errors) as one line and exit code 1."""
    from pgflowstate.errors import StateError

    try:
        yield
    except StateError as exc:
        errors = exc.detail.get("errors")
        reason = exc.detail.get("reason")
        message = str(exc)
        for extra in (" ".join(errors) if errors else None, reason):
            if extra and extra not in message:
                message += f": {extra}"
        fail(f"{message} [{exc.sqlstate}]", EXIT_FAILED)
    except asyncpg.PostgresError as exc:
        fail(f"{exc.message} [{exc.sqlstate}]", EXIT_FAILED)


def run(dsn: str | None, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Resolve the DSN, open one connection, run ``work`` on it; errors end the command."""
    dsn = resolve_dsn(dsn)
    with cli_errors(), operation_errors():

        async def go() -> T:
            async with connection(dsn) as conn:
                return await work(conn)

        return asyncio.run(go())


def store_for(conn: asyncpg.Connection, context: str | None):
    """A FlowStateStore on one connection (it needs only fetch/fetchval)."""
    from pgflowstate.models import RequestContext
    from pgflowstate.store import FlowStateStore

    return FlowStateStore(conn, None if context is None else RequestContext.model_validate_json(context))


def utc(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value is None:
        return ""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def table(headers: list[str], rows: list[list[Any]], right: set[int] = frozenset()) -> str:
    """A plain text table; columns in ``right`` are right-aligned."""
    cells = [headers] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                       for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def not_found(flow_id: UUID) -> None:
    fail(f"flow {flow_id} not found", EXIT_FAILED)


# -- validate -----------------------------------------------------------------------------


@main.command("validate")
@click.option("--check-all", is_flag=True, help="Validate every stored flow (admin only).")
@click.argument("document", required=False, type=click.File("r"))
@dsn_option
@json_option
def validate(check_all: bool, document, dsn: str | None, as_json: bool) -> None:
    """Check flows against the database's rules.

    --check-all validates every stored flow (admin only) and lists the invalid ones; DOCUMENT
    validates one JSON file (- for stdin) instead. Exit 1 when anything is invalid."""
    from pgflowstate import validator

    if check_all == (document is not None):
        fail("give either --check-all or a DOCUMENT file", EXIT_USAGE)
    if check_all:
        report = run(dsn, validator.check_all)
        emit(report, as_json, format_check_all)
    else:
        text = document.read()
        errors = run(dsn, lambda conn: store_for(conn, None).validate_state(text))
        report = {"valid": not errors, "errors": errors}
        emit(report, as_json, lambda r: "valid" if r["valid"] else "invalid:\n" + "\n".join(f"  - {e}" for e in r["errors"]))
    if not report["valid"]:
        raise SystemExit(EXIT_FAILED)


def format_check_all(r: dict) -> str:
    if r["valid"]:
        return f"checked {r['checked']} flows: all valid"
    lines = [f"checked {r['checked']} flows: {len(r['invalid'])} invalid"]
    for flow in r["invalid"]:
        lines.append(flow["flow_id"])
        lines += [f"  - {e}" for e in flow["errors"]]
    return "\n".join(lines)


# -- show ---------------------------------------------------------------------------------

_LOAD = "select flowstate.flow_load_state(p_flow_id => $1, p_context => $2)"


@main.command("show")
@click.argument("flow_id", type=click.UUID)
@dsn_option
@json_option
@tenant_options
def show(flow_id: UUID, dsn: str | None, as_json: bool, **tenant: UUID | None) -> None:
    """Print a flow's current document.

    Human-readable by default; --json prints the document exactly as stored."""
    from pgflowstate.errors import sqlstate_errors

    context = context_json(**tenant)

    async def load(conn: asyncpg.Connection) -> Any:
        with sqlstate_errors():
            return await conn.fetchval(_LOAD, flow_id, context)

    doc = run(dsn, load)
    if doc is None:
        not_found(flow_id)
    emit(doc, as_json, format_document)


def format_document(d: dict) -> str:
    meta = d.get("metadata") or {}
    checkpoints = d.get("checkpoints") or []
    phase = d.get("current_phase")
    width = max((len(str(c.get("phase"))) for c in checkpoints), default=0)
    if d.get("failed_phase"):
        phase = f"{phase} (in {d['failed_phase']})"
    lines = [
        f"flow         {d.get('flow_id')}",
        f"type         {d.get('flow_type')}",
        f"version      {d.get('flow_version')}",
        f"status       {d.get('status')}",
        f"phase        {phase}",
        f"completed    {', '.join(d.get('phases_completed') or []) or '-'}",
        f"created      {utc(d.get('created_at'))}",
        f"updated      {utc(d.get('updated_at'))}",
        f"tenant       client account {meta.get('client_account_id')}, engagement {meta.get('engagement_id')}",
        f"created by   user {meta.get('user_id')}",
        f"checkpoints  {len(checkpoints)}",
        *(f"  {c.get('id')}  {str(c.get('phase')):<{width}}  {utc(c.get('created_at'))}"
          + (f"  {c['label']}" if c.get("label") else "") for c in checkpoints),
    ]
    other_meta = {k: v for k, v in meta.items() if k not in ("client_account_id", "engagement_id", "user_id")}
    if other_meta:
        lines.append(f"metadata     {json.dumps(other_meta, ensure_ascii=False)}")
    known = {"flow_id", "flow_type", "flow_version", "status", "current_phase", "failed_phase",
             "phases_completed", "created_at", "updated_at", "metadata", "checkpoints", "state_data"}
    lines += [f"{k:<12} {json.dumps(v, ensure_ascii=False)}" for k, v in d.items() if k not in known]
    lines.append("state_data")
    lines.append(indent(json.dumps(d.get("state_data"), indent=2, ensure_ascii=False)))
    return "\n".join(lines)


def indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


# -- history ------------------------------------------------------------------------------

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(_ctx, _param, value: str | None) -> datetime | None:
    """An ISO timestamp (naive = local time) or an age such as 30m, 6h, 2d."""
    if value is None:
        return None
    match = _RELATIVE.match(value.strip())
    if match:
        return datetime.now(timezone.utc) - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).astimezone()
    except ValueError:
        raise click.BadParameter("expected an ISO timestamp (2025-01-31T12:00:00Z) or an age (30m, 6h, 2d)")


@main.command("history")
@click.argument("flow_id", type=click.UUID)
@click.option("--since", callback=parse_since, metavar="WHEN",
              help="Only rows from WHEN: an ISO timestamp or an age (30m, 6h, 2d).")
@click.option("--operation", metavar="OP", help="Only this operation (save, transition, checkpoint, recover, ...).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@dsn_option
@json_option
@tenant_options
def history(flow_id: UUID, since: datetime | None, operation: str | None, limit: int | None,
            dsn: str | None, as_json: bool, **tenant: UUID | None) -> None:
    """Print a flow's audit trail, oldest first.

    One row per event: when, which operation, versions and phases, who, what changed."""
    context = context_json(**tenant)

    async def fetch(conn: asyncpg.Connection) -> list | None:
        store = store_for(conn, context)
        entries = await store.history(flow_id, since=since, operation=operation, limit=limit)
        if not entries and await store.load_state(flow_id) is None:
            return None
        return entries

    entries = run(dsn, fetch)
    if entries is None:
        not_found(flow_id)
    result = {"flow_id": str(flow_id), "entries": [e.model_dump(mode="json") for e in entries]}
    emit(result, as_json, format_history)


def _arrow(old: Any, new: Any) -> str:
    if old == new or old is None:
        return "" if new is None else str(new)
    return f"{old} -> {new}" if new is not None else f"{old} ->"


def format_history(r: dict, compact: bool = False) -> str:
    """The history table; ``compact`` shortens times and ids (for the demo's narrow output)."""
    if not r["entries"]:
        return f"flow {r['flow_id']}: no history rows match"
    rows = []
    for e in r["entries"]:
        changes = "snapshot" if e["snapshot"] else ("" if e["changes"] is None else f"{len(e['changes'])} paths")
        user = (e["actor_user_id"] or "")[:8]
        label = e["label"] or ""
        if compact and re.fullmatch(r"[0-9a-f-]{36}", label):
            label = label[:8]
        rows.append([e["audit_id"], utc(e["logged_at"])[11 if compact else 0:], e["operation"],
                     _arrow(e["old_version"], e["new_version"]), _arrow(e["old_phase"], e["new_phase"]),
                     e["actor_role"] + (f" ({user})" if user and not compact else ""), changes, label])
    return table(["id", "time (UTC)" if compact else "logged at (UTC)", "operation", "version", "phase",
                  "actor", "changes", "label"], rows, right={0})


# -- diff ---------------------------------------------------------------------------------


@main.command("diff")
@click.argument("flow_id", type=click.UUID)
@click.argument("from_version", type=click.IntRange(min=1), metavar="V1")
@click.argument("to_version", type=click.IntRange(min=1), metavar="V2")
@dsn_option
@json_option
@tenant_options
def diff(flow_id: UUID, from_version: int, to_version: int, dsn: str | None, as_json: bool,
         **tenant: UUID | None) -> None:
    """Show what changed between versions V1 and V2.

    One line per changed path: + added, - removed, ~ changed (old -> new)."""
    context = context_json(**tenant)

    async def fetch(conn: asyncpg.Connection) -> tuple[list, str | None]:
        store = store_for(conn, context)
        entries = await store.diff(flow_id, from_version, to_version)
        if not entries:  # no differences, or an unknown flow or version: say which
            current = await store.load_state(flow_id)
            if current is None:
                return entries, f"flow {flow_id} not found"
            for version in (from_version, to_version):
                if await store.state_at(flow_id, version) is None:
                    return entries, (f"flow {flow_id} has no version {version} (its current "
                                     f"version is {current.flow_version})")
        return entries, None

    entries, problem = run(dsn, fetch)
    if problem:
        fail(problem, EXIT_FAILED)
    result = {"flow_id": str(flow_id), "from_version": from_version, "to_version": to_version,
              "changes": [e.model_dump(mode="json") for e in entries]}
    emit(result, as_json, format_diff)


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$")
_MARK = {"added": "+", "removed": "-", "changed": "~"}


def dotted(path: list[str]) -> str:
    out = ""
    for key in path:
        out += f".{key}" if _PLAIN_KEY.match(key) else f"[{json.dumps(key, ensure_ascii=False)}]"
    return out.lstrip(".") or "(document)"


def short(value: Any, width: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def format_diff(r: dict) -> str:
    head = f"flow {r['flow_id']}: version {r['from_version']} -> {r['to_version']}"
    if not r["changes"]:
        return f"{head}: no differences"
    lines = [f"{head}: {len(r['changes'])} changed paths"]
    for c in r["changes"]:
        if c["change"] == "added":
            value = short(c["new_value"])
        elif c["change"] == "removed":
            value = short(c["old_value"])
        else:
            value = f"{short(c['old_value'])} -> {short(c['new_value'])}"
        lines.append(f"  {_MARK.get(c['change'], '?')} {dotted(c['path'])}: {value}")
    return "\n".join(lines)


# -- checkpoint and recover ---------------------------------------------------------------


@main.command("checkpoint")
@click.argument("flow_id", type=click.UUID)
@click.option("--phase", help="The phase to label it with (default: the current phase).")
@click.option("--label", help="Free text kept with the checkpoint.")
@dsn_option
@json_option
@tenant_options
def checkpoint(flow_id: UUID, phase: str | None, label: str | None, dsn: str | None, as_json: bool,
               **tenant: UUID | None) -> None:
    """Snapshot a flow; prints the checkpoint's id.

    The flow's version does not change; the checkpoint is audited."""
    context = context_json(**tenant)
    checkpoint_id = run(dsn, lambda conn: store_for(conn, context).create_checkpoint(flow_id, phase, label))
    result = {"flow_id": str(flow_id), "checkpoint_id": str(checkpoint_id), "phase": phase, "label": label}
    emit(result, as_json, lambda r: r["checkpoint_id"])


_RECOVER_FAILED = "select flowstate.flow_recover_failed(p_flow_id => $1, p_context => $2)"
_RECOVER_FROM = (
    "select flowstate.flow_recover_from_checkpoint(p_flow_id => $1, p_checkpoint_id => $2,"
    " p_expected_version => null, p_context => $3)"
)
_LAST_RESTORED = (
    "select label from flowstate.flow_history(p_flow_id => $1, p_context => $2,"
    " p_operation => 'recover') order by audit_id desc limit 1"
)


@main.command("recover")
@click.argument("flow_id", type=click.UUID)
@click.option("--checkpoint", "checkpoint_id", type=click.UUID, metavar="ID",
              help="Restore this checkpoint (default: the newest one whose snapshot is valid).")
@dsn_option
@json_option
@tenant_options
def recover(flow_id: UUID, checkpoint_id: UUID | None, dsn: str | None, as_json: bool,
            **tenant: UUID | None) -> None:
    """Restore a flow from a checkpoint.

    The restored state becomes the next version, status recovered; history is kept. Without
    --checkpoint: the newest checkpoint whose snapshot still validates."""
    from pgflowstate.errors import sqlstate_errors

    context = context_json(**tenant)

    async def recover_flow(conn: asyncpg.Connection) -> dict:
        with sqlstate_errors():
            if checkpoint_id is None:
                doc = await conn.fetchval(_RECOVER_FAILED, flow_id, context)
                restored = await conn.fetchval(_LAST_RESTORED, flow_id, context)
            else:
                doc = await conn.fetchval(_RECOVER_FROM, flow_id, checkpoint_id, context)
                restored = str(checkpoint_id)
        return {"flow_id": str(flow_id), "checkpoint_id": restored, "document": doc}

    result = run(dsn, recover_flow)
    emit(result, as_json, format_recovered)


def format_recovered(r: dict) -> str:
    d = r["document"]
    return (f"flow {r['flow_id']} recovered from checkpoint {r['checkpoint_id']}: version "
            f"{d['flow_version']}, phase {d['current_phase']}, status {d['status']}")


# -- stats --------------------------------------------------------------------------------

_FLOWS = """
select flow_type, current_phase, status, count(*) as flows
  from flowstate.flows group by 1, 2, 3 order by 1, 2, 3"""
_STORAGE = """
select (select count(*) from flowstate.audit_log) as audit_rows,
       (select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) from pg_inherits i
         where i.inhparent = 'flowstate.audit_log'::regclass)::bigint as audit_bytes,
       (select count(*) from flowstate.audit_log a where a.logged_at >= now() - interval '24 hours') as audit_rows_24h,
       (select coalesce(sum(pg_column_size(a.*)), 0) from flowstate.audit_log a
         where a.logged_at >= now() - interval '24 hours')::bigint as audit_bytes_24h,
       (select count(*) from flowstate.checkpoints) as checkpoints,
       pg_total_relation_size('flowstate.checkpoints') as checkpoint_bytes,
       (select count(*) from flowstate.quarantine) as quarantined,
       (select count(*) from flowstate.quarantine q where q.archived_at >= now() - interval '24 hours') as quarantined_24h,
       current_setting('track_functions') as track_functions"""
_FUNCTIONS = """
select funcname as function, calls, total_time / calls as mean_ms, total_time as total_ms, self_time as self_ms
  from pg_stat_user_functions where schemaname = 'flowstate' and calls > 0
 order by total_time / calls desc limit $1"""
_STATEMENTS = """
select query, calls, mean_exec_time as mean_ms, total_exec_time as total_ms
  from {schema}.pg_stat_statements
 where query ~* 'flowstate\\.flow_\\w+\\s*\\(' and calls > 0  -- calls of the functions, not DDL
   and query !~* '^\\s*(create|comment|grant|revoke|alter|drop|do)\\M'
 order by mean_exec_time desc limit $1"""


async def database_stats(conn: asyncpg.Connection, top: int = 10) -> dict:
    """What the database knows: flows, audit growth, checkpoints, quarantine, timings."""
    storage = dict(await conn.fetchrow(_STORAGE))
    track = storage.pop("track_functions")
    stats = {
        "flows": [dict(r) for r in await conn.fetch(_FLOWS)],
        **storage,
        "functions": {"track_functions": track, "note": None, "slowest": []},
        "statements": {"installed": False, "note": None, "slowest": []},
    }
    stats["flows_total"] = sum(r["flows"] for r in stats["flows"])
    stats["functions"]["slowest"] = [dict(r) for r in await conn.fetch(_FUNCTIONS, top)]
    if track == "none":
        stats["functions"]["note"] = (
            "track_functions is off: ALTER SYSTEM SET track_functions = 'pl'; SELECT pg_reload_conf();")
    schema = await conn.fetchval(
        "select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace"
        " where e.extname = 'pg_stat_statements'")
    if schema is None:
        stats["statements"]["note"] = (
            "pg_stat_statements is not installed here (shared_preload_libraries, then CREATE EXTENSION)")
    else:
        stats["statements"]["installed"] = True
        try:
            rows = await conn.fetch(_STATEMENTS.format(schema=f'"{schema}"'), top)
            stats["statements"]["slowest"] = [dict(r) for r in rows]
        except asyncpg.PostgresError as exc:
            stats["statements"]["note"] = exc.message
    return stats


@main.command("stats")
@click.option("--metrics", "metrics_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              envvar="PGFLOWSTATE_METRICS_FILE", metavar="FILE",
              help="Wrapper metrics written by Metrics.dump() (repeatable; $PGFLOWSTATE_METRICS_FILE).")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many slowest functions and statements to list.")
@dsn_option
@json_option
def stats(metrics_files: tuple[str, ...], top: int, dsn: str | None, as_json: bool) -> None:
    """What the database (and the wrapper) knows.

    Flows by type, phase and status; audit trail growth; checkpoints; quarantine; the slowest
    flowstate functions and statements; and, with --metrics, the wrapper's latency histograms
    and counts of validation failures and conflicts. Admin only."""
    from pgflowstate.metrics import merge_snapshots

    result = run(dsn, lambda conn: database_stats(conn, top))
    if metrics_files:
        try:
            snapshots = [json.loads(Path(f).read_text()) for f in metrics_files]
            result["wrapper"] = {"files": list(metrics_files), **merge_snapshots(snapshots)}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            fail(f"cannot read metrics file: {exc}", EXIT_USAGE)
    emit(result, as_json, format_stats)


def size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def format_stats(s: dict) -> str:
    lines = [f"flows: {s['flows_total']}"]
    if s["flows"]:
        lines.append(indent(table(["flow type", "phase", "status", "flows"],
                                  [[r["flow_type"], r["current_phase"], r["status"], r["flows"]] for r in s["flows"]],
                                  right={3})))
    lines += [
        f"audit trail: {s['audit_rows']} rows, {size(s['audit_bytes'])} on disk; "
        f"last 24 h: {s['audit_rows_24h']} rows, {size(s['audit_bytes_24h'])}",
        f"checkpoints: {s['checkpoints']} ({size(s['checkpoint_bytes'])} on disk)",
        f"quarantined: {s['quarantined']} ({s['quarantined_24h']} in the last 24 h)",
        "slowest flowstate functions (pg_stat_user_functions):",
    ]
    f = s["functions"]
    if f["slowest"]:
        lines.append(indent(table(["function", "calls", "mean ms", "total ms", "self ms"],
                                  [[r["function"], r["calls"], f"{r['mean_ms']:.3f}", f"{r['total_ms']:.1f}",
                                    f"{r['self_ms']:.1f}"] for r in f["slowest"]], right={1, 2, 3, 4})))
    lines.append(f"  {f['note']}" if f["note"] else ("" if f["slowest"] else "  no calls recorded yet"))
    lines.append("slowest statements calling flowstate (pg_stat_statements):")
    st = s["statements"]
    if st["slowest"]:
        lines.append(indent(table(["calls", "mean ms", "total ms", "query"],
                                  [[r["calls"], f"{r['mean_ms']:.3f}", f"{r['total_ms']:.1f}",
                                    " ".join(r["query"].split())[:80]] for r in st["slowest"]], right={0, 1, 2})))
    elif st["note"]:
        lines.append(f"  {st['note']}")
    else:
        lines.append("  no calls recorded yet")
    if "wrapper" in s:
        w = s["wrapper"]
        lines.append(f"wrapper metrics ({', '.join(w['files'])}):")
        lines.append(indent(format_operations(w)))
    return "\n".join(line for line in lines if line != "")


def format_operations(snapshot: dict) -> str:
    """The wrapper's metrics (Metrics.snapshot()) as a table and two counts."""
    rows = []
    for name, op in snapshot["operations"].items():
        failed = sum(n for outcome, n in op["outcomes"].items() if outcome != "ok")
        rows.append([name, op["count"], *(f"{op[k] * 1000:.2f}" for k in ("p50_s", "p95_s", "p99_s", "max_s")), failed])
    body = table(["operation", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms", "failed"], rows,
                 right={1, 2, 3, 4, 5, 6}) if rows else "no calls recorded"
    return (f"{body}\nvalidation failures: {snapshot['validation_failures']}, "
            f"conflicts: {snapshot['conflicts']}")


# -- watch --------------------------------------------------------------------------------


@main.command("watch")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many alerts.")
@dsn_option
@json_option
@tenant_options
def watch(count: int | None, dsn: str | None, as_json: bool, **tenant: UUID | None) -> None:
    """Print alerts as they arrive, until Ctrl-C.

    One line per recovery or corrupted state reset (NOTIFY flowstate_alerts, details read
    with flow_alert): every tenant's, or with the tenant options that tenant's only. --json
    prints each alert's details as flow_alert returns them."""
    dsn = resolve_dsn(dsn)
    context = context_json(**tenant)
    try:
        with cli_errors(), operation_errors():
            asyncio.run(watch_alerts(dsn, context, count, as_json))
    except KeyboardInterrupt:
        pass


async def watch_alerts(dsn: str, context: str | None, count: int | None, as_json: bool) -> None:
    from pgflowstate import db
    from pgflowstate.alerts import ALERT_CHANNEL, listen_alerts
    from pgflowstate.models import RequestContext

    tenant = None if context is None else RequestContext.model_validate_json(context)
    async with AsyncExitStack() as stack:
        try:
            alerts = await stack.enter_async_context(listen_alerts(asyncpg_url(dsn), context=tenant, timeout=10))
        except CONNECT_ERRORS as exc:
            raise db.ConnectionFailed(f"cannot connect to {db.describe(dsn)}: {db.one_line(exc)}") from exc
        click.echo(f"watching {ALERT_CHANNEL} on {db.describe(dsn)}; Ctrl-C to stop", err=True)
        seen = 0
        try:
            async for alert in alerts:
                click.echo(alert_json(alert) if as_json else format_alert(alert))
                seen += 1
                if count is not None and seen >= count:
                    return
        except ConnectionError as exc:
            raise db.ConnectionFailed(str(exc)) from exc


def alert_json(alert) -> str:
    if alert.event is None:  # not a JSON object: keep the text
        return json.dumps({"payload": alert.payload}, ensure_ascii=False)
    details = alert.model_dump(mode="json", exclude={"payload"})
    return json.dumps(details, ensure_ascii=False, separators=(",", ":"))


_ALERT_FIELDS = {"event", "alert_id", "flow_id", "flow_type", "flow_version", "current_phase", "client_account_id",
                 "engagement_id", "actor_user_id", "actor_role", "at", "payload"}


def format_alert(alert) -> str:
    if alert.event is None:
        return f"{utc(datetime.now(timezone.utc))} unparsed alert: {alert.payload}"
    extra = {k: v for k, v in alert.model_dump(mode="json").items() if k not in _ALERT_FIELDS}
    # Scalars first, then lists (validation errors: sentences), quoted.
    items = sorted(extra.items(), key=lambda kv: isinstance(kv[1], list))
    details = " ".join(f"{k}={json.dumps('; '.join(map(str, v)), ensure_ascii=False)}" if isinstance(v, list)
                       else f"{k}={v}" for k, v in items)
    return (f"{utc(alert.at) if alert.at else '-'} {alert.event} flow={alert.flow_id} type={alert.flow_type} "
            f"version={alert.flow_version} phase={alert.current_phase} client_account={alert.client_account_id} "
            f"engagement={alert.engagement_id} by={alert.actor_role}"
            + (f" user={alert.actor_user_id}" if alert.actor_user_id else "")
            + (f" {details}" if details else ""))


# -- demo and docs ------------------------------------------------------------------------


@main.command("demo")
@dsn_option
def demo(dsn: str | None) -> None:
    """Run a discovery flow end to end, in a few seconds.

    Every phase with checkpoints, a write conflict and its retry, a crash and recovery, a
    corrupted state reset (alert via LISTEN), then the flow's history and a diff. Without
    --dsn or DATABASE_URL it runs on the local server, started if needed."""
    from pgflowstate.demo import run_demo

    dsn = resolve_dsn(dsn)
    with cli_errors(), operation_errors():
        asyncio.run(run_demo(dsn, click.echo))


@main.command("docs")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
@click.option("--check", is_flag=True, help="Exit 1 if --output's content differs from the database's.")
@dsn_option
def docs(output: str | None, check: bool, dsn: str | None) -> None:
    """Print the SQL reference generated from the database.

    Markdown built from the COMMENTs of every flowstate function and table, with the settings
    and flow types (docs/reference.md). Run it against a freshly upgraded database."""
    from pgflowstate.docs import reference

    if check and not output:
        fail("--check needs --output", EXIT_USAGE)
    text = run(dsn, reference)
    if check:
        current = Path(output).read_text() if Path(output).exists() else ""
        if current != text:
            fail(f"{output} is out of date: run `pgflowstate docs -o {output}`", EXIT_FAILED)
        click.echo(f"{output} is up to date")
    elif output:
        Path(output).write_text(text)
    else:
        click.echo(text, nl=False)


# -- bench --------------------------------------------------------------------------------


@main.command("bench")
@click.option("--iterations", type=click.IntRange(8), default=400, show_default=True,
              help="Calls per operation and size (split into interleaved rounds).")
@click.option("--clients", type=click.IntRange(1, 64), default=16, show_default=True,
              help="Concurrent writers for the throughput run.")
@click.option("--seconds", type=float, default=3.0, show_default=True, help="Length of each throughput run.")
@dsn_option
@json_option
def bench_command(iterations: int, clients: int, seconds: float, dsn: str | None, as_json: bool) -> None:
    """Measure save, load and transition through the wrapper next to floors measured in the
    same run (a bare upsert plus history row, a bare prepared SELECT), and LangGraph's
    AsyncPostgresSaver and CrewAI's SQLiteFlowPersistence where installed. Writes scratch
    tables (and LangGraph's own, when present): use a scratch database."""
    from pgflowstate import bench

    dsn = resolve_dsn(dsn)
    with cli_errors():
        results = asyncio.run(bench.run(asyncpg_url(dsn), iterations, clients=clients, seconds=seconds))
    emit(results, as_json, bench.format_results)
