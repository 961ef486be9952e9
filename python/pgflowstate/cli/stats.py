"""`pgflowstate stats`: what the database knows (pgflowstate.stats: flowstate.flow_stats and
pg_stat_statements) and, with --metrics, what the wrapper measured."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..metrics import merge_snapshots
from ..stats import database_stats
from .common import EXIT_USAGE, dsn_option, emit, fail, indent, json_option, run, table


@click.command("stats")
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
