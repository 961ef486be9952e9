"""`pgflowstate migrate-sqlite`: CrewAI's SQLite flow state into PostgreSQL, and its report."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from .. import migrator, server
from ..models import RequestContext
from .common import EXIT_USAGE, cli_errors, dsn_option, emit, fail, json_option, resolve_dsn


def _tenant_option(name: str, help: str):
    envvar = server.TENANT_VARIABLES[name.replace("-", "_")]
    return click.option(f"--{name}", type=click.UUID, required=True, envvar=envvar, show_envvar=True,
                        metavar="UUID", help=help)


@click.command("migrate-sqlite")
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
