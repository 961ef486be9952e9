"""`pgflowstate db upgrade`, `db status` and `docs`: the schema, and its reference."""

from __future__ import annotations

from pathlib import Path

import click

from .. import schema
from ..docs import reference
from .common import EXIT_FAILED, EXIT_USAGE, cli_errors, dsn_option, emit, fail, json_option, resolve_dsn, run


@click.group("db")
def db_group() -> None:
    """Create or upgrade the flowstate schema, and report its state."""


@db_group.command("upgrade")
@dsn_option
@json_option
@click.option("--force", is_flag=True, help="Re-apply the function files even if unchanged.")
def db_upgrade(dsn: str | None, as_json: bool, force: bool) -> None:
    """Apply pending migrations and changed function files (idempotent, safe to run
    concurrently)."""
    dsn = resolve_dsn(dsn)
    with cli_errors():
        report = schema.upgrade(dsn, force_functions=force)
    emit(report, as_json, format_upgrade)


@db_group.command("status")
@dsn_option
@json_option
def db_status(dsn: str | None, as_json: bool) -> None:
    """Show applied and pending migrations and the state of the function files."""
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


@click.command("docs")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
@click.option("--check", is_flag=True, help="Exit 1 if --output's content differs from the database's.")
@dsn_option
def docs(output: str | None, check: bool, dsn: str | None) -> None:
    """Print the SQL reference generated from the database.

    Markdown built from the COMMENTs of every flowstate function and table, with the settings
    and flow types (docs/reference.md). Run it against a freshly upgraded database."""
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
