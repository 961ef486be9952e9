"""`pgflowstate validate`: a document file, or every stored flow (`--check-all`)."""

from __future__ import annotations

import click

from .. import validator
from .common import EXIT_FAILED, EXIT_USAGE, dsn_option, emit, fail, json_option, run, store_for


@click.command("validate")
@click.option("--check-all", is_flag=True, help="Validate every stored flow (admin only).")
@click.argument("document", required=False, type=click.File("r"))
@dsn_option
@json_option
def validate(check_all: bool, document, dsn: str | None, as_json: bool) -> None:
    """Check flows against the database's rules.

    --check-all validates every stored flow (admin only) and lists the invalid ones; DOCUMENT
    validates one JSON file (- for stdin) instead. Exit 1 when anything is invalid."""
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
