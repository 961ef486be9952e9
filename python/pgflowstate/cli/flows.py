"""Commands on one flow: `show`, `history`, `diff`, `checkpoint` and `recover`, each calling
the wrapper (FlowStateStore) on one connection, and their plain-text formatters.

Operators usually connect as a superuser or a flowstate_admin member, so these act across
tenants (p_context NULL) unless --client-account-id, --engagement-id and --user-id are given.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import asyncpg
import click

from ..store import FlowStateStore
from .common import (EXIT_FAILED, FLOW_ID, Answers, CrewAIId, dsn_option, emit, fail, indent, json_option,
                     not_found, run_on_flow, store_for, table, tenant_context, tenant_options, utc)

# -- show ---------------------------------------------------------------------------------


@click.command("show")
@click.argument("flow", type=FLOW_ID)
@dsn_option
@json_option
@tenant_options
def show(flow: UUID | CrewAIId, dsn: str | None, as_json: bool, **tenant: UUID | None) -> None:
    """Print a flow's current document.

    FLOW is a flow id, or a CrewAI flow id (mapped with the tenant options as the CrewAI
    backend maps it). Human-readable by default; --json prints the document exactly as stored."""
    context = tenant_context(**tenant)

    async def load(conn: asyncpg.Connection, flow_id: UUID) -> Any:
        answers = Answers(conn)
        if await FlowStateStore(answers, context).load_state(flow_id) is None:
            return None
        # load_state reads flow_load_state_parts: the document without state_data, and state_data as stored.
        return {**answers.last["document"], "state_data": answers.last["state_data"]}

    flow_id, doc = run_on_flow(dsn, flow, context, load)
    if doc is None:
        not_found(flow_id, flow)
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


@click.command("history")
@click.argument("flow", type=FLOW_ID)
@click.option("--since", callback=parse_since, metavar="WHEN",
              help="Only rows from WHEN: an ISO timestamp or an age (30m, 6h, 2d).")
@click.option("--operation", metavar="OP", help="Only this operation (save, transition, checkpoint, recover, ...).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many rows.")
@dsn_option
@json_option
@tenant_options
def history(flow: UUID | CrewAIId, since: datetime | None, operation: str | None, limit: int | None,
            dsn: str | None, as_json: bool, **tenant: UUID | None) -> None:
    """Print a flow's audit trail, oldest first.

    FLOW is a flow id, or a CrewAI flow id (mapped with the tenant options as the CrewAI
    backend maps it).

    One row per event: when, which operation, versions and phases, who, what changed."""
    context = tenant_context(**tenant)

    async def fetch(conn: asyncpg.Connection, flow_id: UUID) -> list | None:
        store = store_for(conn, context)
        entries = await store.history(flow_id, since=since, operation=operation, limit=limit)
        if not entries and await store.load_state(flow_id) is None:
            return None
        return entries

    flow_id, entries = run_on_flow(dsn, flow, context, fetch)
    if entries is None:
        not_found(flow_id, flow)
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


@click.command("diff")
@click.argument("flow", type=FLOW_ID)
@click.argument("from_version", type=click.IntRange(min=1), metavar="V1")
@click.argument("to_version", type=click.IntRange(min=1), metavar="V2")
@dsn_option
@json_option
@tenant_options
def diff(flow: UUID | CrewAIId, from_version: int, to_version: int, dsn: str | None, as_json: bool,
         **tenant: UUID | None) -> None:
    """Show what changed between versions V1 and V2.

    FLOW is a flow id, or a CrewAI flow id (mapped with the tenant options as the CrewAI
    backend maps it).

    One line per changed path: + added, - removed, ~ changed (old -> new)."""
    context = tenant_context(**tenant)

    async def fetch(conn: asyncpg.Connection, flow_id: UUID) -> tuple[list, str | None]:
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

    flow_id, (entries, problem) = run_on_flow(dsn, flow, context, fetch)
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


@click.command("checkpoint")
@click.argument("flow", type=FLOW_ID)
@click.option("--phase", help="The phase to label it with (default: the current phase).")
@click.option("--label", help="Free text kept with the checkpoint.")
@dsn_option
@json_option
@tenant_options
def checkpoint(flow: UUID | CrewAIId, phase: str | None, label: str | None, dsn: str | None, as_json: bool,
               **tenant: UUID | None) -> None:
    """Snapshot a flow; prints the checkpoint's id.

    FLOW is a flow id, or a CrewAI flow id (mapped with the tenant options as the CrewAI
    backend maps it).

    The flow's version does not change; the checkpoint is audited."""
    context = tenant_context(**tenant)
    flow_id, checkpoint_id = run_on_flow(
        dsn, flow, context, lambda conn, flow_id: store_for(conn, context).create_checkpoint(flow_id, phase, label))
    result = {"flow_id": str(flow_id), "checkpoint_id": str(checkpoint_id), "phase": phase, "label": label}
    emit(result, as_json, lambda r: r["checkpoint_id"])


@click.command("recover")
@click.argument("flow", type=FLOW_ID)
@click.option("--checkpoint", "checkpoint_id", type=click.UUID, metavar="ID",
              help="Restore this checkpoint (default: the newest one whose snapshot is valid).")
@dsn_option
@json_option
@tenant_options
def recover(flow: UUID | CrewAIId, checkpoint_id: UUID | None, dsn: str | None, as_json: bool,
            **tenant: UUID | None) -> None:
    """Restore a flow from a checkpoint.

    FLOW is a flow id, or a CrewAI flow id (mapped with the tenant options as the CrewAI
    backend maps it).

    The restored state becomes the next version, status recovered; history is kept. Without
    --checkpoint: the newest checkpoint whose snapshot still validates."""
    context = tenant_context(**tenant)

    async def recover_flow(conn: asyncpg.Connection, flow_id: UUID) -> dict:
        answers = Answers(conn)
        store = FlowStateStore(answers, context)
        if checkpoint_id is None:
            restored = (await store.recover_failed(flow_id)).restored_checkpoint_id
        else:
            await store.recover_from_checkpoint(flow_id, checkpoint_id)
            restored = checkpoint_id
        document = {k: v for k, v in answers.last.items() if k != "restored_checkpoint_id"}
        return {"flow_id": str(flow_id), "checkpoint_id": str(restored), "document": document}

    _, result = run_on_flow(dsn, flow, context, recover_flow)
    emit(result, as_json, format_recovered)


def format_recovered(r: dict) -> str:
    d = r["document"]
    return (f"flow {r['flow_id']} recovered from checkpoint {r['checkpoint_id']}: version "
            f"{d['flow_version']}, phase {d['current_phase']}, status {d['status']}")
