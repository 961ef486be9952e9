"""The `pgflowstate` command.

Exit codes scripts can trust: 0 ok, 1 the operation failed, 2 usage or connection error.
Errors are one line on stderr, never a traceback (set PGFLOWSTATE_DEBUG=1 to see one).
`--json` prints one JSON document on stdout.

To add a command: define it under `main` (or a group), take `@dsn_option` and `@json_option`,
call the library inside `with cli_errors():`, and print with `emit(result, as_json, formatter)`.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import click

EXIT_FAILED, EXIT_USAGE = 1, 2


def fail(message: str, code: int) -> None:
    click.echo(f"pgflowstate: error: {message}", err=True)
    sys.exit(code)


@contextmanager
def cli_errors():
    """Turn library errors into one stderr line and an exit code."""
    from pgflowstate import connection

    try:
        yield
    except connection.ConnectionFailed as exc:
        fail(str(exc), EXIT_USAGE)
    except connection.DatabaseError as exc:
        fail(str(exc), EXIT_FAILED)
    except Exception as exc:  # a bug or an unexpected server error: still one line
        if os.environ.get("PGFLOWSTATE_DEBUG"):  # developers want the traceback
            raise
        fail(f"{type(exc).__name__}: {' '.join(str(exc).split())}", EXIT_FAILED)


def resolve_dsn(dsn: str | None) -> str:
    """--dsn, else $DATABASE_URL (click fills it in), else the embedded local server, which
    is started (and given the schema) on first use."""
    from pgflowstate import server

    with cli_errors():
        return server.default_dsn(dsn)


def emit(result: dict, as_json: bool, human: Callable[[dict], str]) -> None:
    click.echo(json.dumps(result, indent=2, default=str) if as_json else human(result))


dsn_option = click.option(
    "--dsn", envvar="DATABASE_URL", show_envvar=True, metavar="DSN",
    help="PostgreSQL connection string (URL or key=value); default $DATABASE_URL.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pgflowstate")
def main() -> None:
    """PostgreSQL as the single source of truth for AI-agent flow state."""


# ---------------------------------------------------------------------------------------------
# db


@main.group("db")
def db_group() -> None:
    """Create or upgrade the flowstate schema, and report its state."""


@db_group.command("upgrade")
@dsn_option
@json_option
@click.option("--force", is_flag=True, help="Re-apply the function files even if unchanged.")
def db_upgrade(dsn: str | None, as_json: bool, force: bool) -> None:
    """Apply pending migrations and changed function files (idempotent, safe to run
    concurrently)."""
    from pgflowstate import schema

    dsn = resolve_dsn(dsn)
    with cli_errors():
        report = schema.upgrade(dsn, force_functions=force)
    emit(report, as_json, format_upgrade)


@db_group.command("status")
@dsn_option
@json_option
def db_status(dsn: str | None, as_json: bool) -> None:
    """Show applied and pending migrations and the state of the function files."""
    from pgflowstate import schema

    dsn = resolve_dsn(dsn)
    with cli_errors():
        report = schema.status(dsn)
    emit(report, as_json, format_status)


def format_upgrade(r: dict) -> str:
    applied = ", ".join(r["migrations_applied"])
    migrations = f"applied {applied}" if applied else "none pending"
    if r["function_files_applied"]:
        functions = f"applied {len(r['function_files_applied'])} files"
    else:
        functions = f"up to date ({r['function_files']} files)"
    return f"database:   {r['database']}\nmigrations: {migrations}\nfunctions:  {functions}"


FILE_STATES = (("changed", "changed"), ("missing", "not applied"), ("removed", "removed"))


def format_status(r: dict) -> str:
    m, f = r["migrations"], r["function_files"]
    lines = [
        f"database:   {r['database']}",
        f"migrations: {len(m['applied'])} applied, {len(m['pending'])} pending",
        *(f"  pending  {name}" for name in m["pending"]),
        f"functions:  {len(f['current'])} current, {len(f['changed'])} changed, "
        f"{len(f['missing'])} not applied, {len(f['removed'])} removed",
        *(f"  {label:<12} {name}" for key, label in FILE_STATES for name in f[key]),
        "up to date" if r["up_to_date"] else "upgrade needed: run `pgflowstate db upgrade`",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the embedded local server


@main.command("up")
@json_option
def up(as_json: bool) -> None:
    """Start the local PostgreSQL (initialised and given the schema on first use)."""
    from pgflowstate import server

    with cli_errors():
        emit(server.up(), as_json, format_server)


@main.command("down")
@json_option
def down(as_json: bool) -> None:
    """Stop the local PostgreSQL; its data stays."""
    from pgflowstate import server

    with cli_errors():
        emit(server.down(), as_json, format_server)


@main.command("status")
@json_option
def server_status(as_json: bool) -> None:
    """Whether the local PostgreSQL runs, where its data lives, and its URL."""
    from pgflowstate import server

    with cli_errors():
        emit(server.status(), as_json, format_server)


@main.command("url")
def server_url() -> None:
    """Print the local PostgreSQL's URL (starting it if needed), e.g. for DATABASE_URL."""
    from pgflowstate import server

    with cli_errors():
        click.echo(server.up()["url"])


def format_server(r: dict) -> str:
    state = "running" if r["running"] else ("stopped" if r["initialised"] else "not initialised")
    lines = [f"local server: {state}", f"data:         {r['home']}"]
    if r["url"]:
        lines.append(f"url:          {r['url']}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# migrate-sqlite


def _tenant_option(name: str, help: str):
    envvar = "PGFLOWSTATE_" + name.upper().replace("-", "_")
    return click.option(f"--{name}", type=click.UUID, required=True, envvar=envvar, show_envvar=True,
                        metavar="UUID", help=help)


@main.command("migrate-sqlite")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@dsn_option
@json_option
@click.option("--dry-run", is_flag=True, help="Run every import and roll it back: write nothing.")
@click.option("--verify", "verify_only", is_flag=True,
              help="Only compare the source with PostgreSQL (content hashes); write nothing.")
@_tenant_option("client-account-id", "The client account (tenant) to import into.")
@_tenant_option("engagement-id", "The engagement (tenant) to import into.")
@_tenant_option("user-id", "The user recorded as the importer.")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Flows imported in parallel (one connection each).")
def migrate_sqlite(path, dsn, as_json, dry_run, verify_only, client_account_id, engagement_id, user_id,
                   workers) -> None:
    """Migrate CrewAI's SQLite flow state (PATH, default CrewAI's own flow_states.db) into
    PostgreSQL, then verify every flow against the source by content hash. Safe to interrupt
    and re-run: what is done is skipped. Exit 0: all migrated and verified; 1: some flows
    failed or differ; 2: usage, source or connection error."""
    import asyncio

    from pgflowstate import migrator
    from pgflowstate.models import RequestContext

    path = path or migrator.default_path()
    dsn = resolve_dsn(dsn)
    context = RequestContext(client_account_id=client_account_id, engagement_id=engagement_id,
                             user_id=user_id)
    progress = _progress_bar if sys.stderr.isatty() and not as_json else None
    job = migrator.StateMigrator(dsn, context, workers=workers, dry_run=dry_run, progress=progress)
    with cli_errors():
        try:
            report = asyncio.run(job.verify(path) if verify_only else job.migrate(path))
        except migrator.SourceError as exc:
            fail(str(exc), EXIT_USAGE)
    emit(report.to_dict(), as_json, format_report)
    sys.exit(report.exit_code)


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


def _progress_bar(label: str, total: int):
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)


from pgflowstate import cli_ops  # noqa: F401,E402  (registers the operator commands)

if __name__ == "__main__":
    main()
