"""Lifecycle commands: `ls` (flow_search), `fork`, `delete` and `retention run|show`, each a
call of the wrapper (FlowStateStore) on one connection, and their plain-text formatters.

--json prints what the SQL function returned (through Answers), the human output presents it.
Arguments are checked by the database: a bad filter or limit is FS001 listing every problem.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import click

from ..store import FlowStateStore
from .common import (EXIT_FAILED, EXIT_USAGE, FLOW_ID, Answers, CrewAIId, dsn_option, emit, fail, json_option,
                     run, run_on_flow, table, tenant_context, tenant_options, utc)
from .flows import format_document, parse_since


def answer_of(context: Any, call: str, *args: Any, **kwargs: Any):
    """A run() job: call the store's method ``call`` and keep the SQL function's answer."""

    async def work(conn: asyncpg.Connection) -> Any:
        answers = Answers(conn)
        await getattr(FlowStateStore(answers, context), call)(*args, **kwargs)
        return answers.last

    return work


def answer_on_flow(context: Any, call: str, *args: Any):
    """A run_on_flow() job: answer_of(context, call, flow_id, *args)."""
    return lambda conn, flow_id: answer_of(context, call, flow_id, *args)(conn)


# -- ls -------------------------------------------------------------------------------------


def parse_meta(_ctx, _param, values: tuple[str, ...]) -> dict[str, Any] | None:
    """key=value pairs; a value is JSON when it parses (3, true, {"a": 1}), else a string."""
    if not values:
        return None
    meta: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected key=value, not {item!r}")
        try:
            meta[key] = json.loads(value)
        except ValueError:
            meta[key] = value
    return meta


@click.command("ls")
@click.option("--type", "flow_type", metavar="TYPE", help="Only flows of this flow type.")
@click.option("--phase", metavar="PHASE", help="Only flows in this current phase.")
@click.option("--status", metavar="STATUS", help="Only flows with this status.")
@click.option("--meta", "metadata", multiple=True, callback=parse_meta, metavar="KEY=VALUE",
              help="Only flows whose metadata contains this (repeatable; VALUE as JSON when it parses).")
@click.option("--external-id", metavar="ID", help="Only the flow with this external id.")
@click.option("--crewai-class", metavar="CLASS", help="Only CrewAI flows of this Flow class (metadata.crewai_class).")
@click.option("--finished/--unfinished", "crewai_finished", default=None,
              help="Only CrewAI flows that CrewAI finished / that did not finish (metadata.crewai_finished).")
@click.option("--since", "updated_after", callback=parse_since, metavar="WHEN",
              help="Only flows updated after WHEN: an ISO timestamp or an age (30m, 6h, 2d).")
@click.option("--parent", "parent_flow_id", type=click.UUID, metavar="UUID",
              help="Only flows forked from this flow.")
@click.option("--quarantined/--not-quarantined", default=None,
              help="Only flows with / without a quarantined document (of their current life).")
@click.option("--limit", type=int, help="At most this many flows per page (default 50).")
@click.option("--after", metavar="CURSOR", help="The page after this cursor (a page's 'next').")
@dsn_option
@json_option
@tenant_options
def ls(flow_type: str | None, phase: str | None, status: str | None, metadata: dict | None,
       external_id: str | None, crewai_class: str | None, crewai_finished: bool | None,
       updated_after: datetime | None, parent_flow_id: UUID | None, quarantined: bool | None,
       limit: int | None, after: str | None, dsn: str | None, as_json: bool, **tenant: UUID | None) -> None:
    """List flows, most recently updated first, a page at a time.

    Without the tenant options, every tenant's flows (admins only)."""
    context = tenant_context(**tenant)
    crewai = {"crewai_class": crewai_class, "crewai_finished": crewai_finished}
    if any(value is not None for value in crewai.values()):  # metadata the CrewAI backend records
        metadata = {**(metadata or {}), **{k: v for k, v in crewai.items() if v is not None}}
    page = run(dsn, answer_of(context, "search", flow_type=flow_type, phase=phase, status=status,
                              metadata=metadata, external_id=external_id, updated_after=updated_after,
                              parent_flow_id=parent_flow_id, quarantined=quarantined, after=after,
                              limit=limit))
    emit(page, as_json, format_page)


def format_page(page: dict) -> str:
    flows = page.get("flows") or []
    if not flows:
        return "no flows match"
    rows = [[f.get("flow_id"), f.get("flow_type"), f.get("current_phase"), f.get("status"),
             f.get("flow_version"), utc(f.get("updated_at"))] for f in flows]
    lines = [table(["flow id", "type", "phase", "status", "version", "updated (UTC)"], rows, right={4})]
    if page.get("next"):
        lines.append(f"next: {page['next']}  (more with --after {page['next']})")
    return "\n".join(lines)


# -- fork -----------------------------------------------------------------------------------


@click.command("fork")
@click.argument("flow", type=FLOW_ID)
@click.option("--version", type=int, metavar="N", help="Fork the state of version N (default: the current one).")
@click.option("--new-id", "new_flow_id", type=click.UUID, metavar="UUID", help="The fork's id (default: a new one).")
@dsn_option
@json_option
@tenant_options
def fork(flow: UUID | CrewAIId, version: int | None, new_flow_id: UUID | None, dsn: str | None, as_json: bool,
         **tenant: UUID | None) -> None:
    """Start a new flow from a version of FLOW; prints the new flow's document.

    FLOW is a flow id, or a CrewAI flow id (mapped with the tenant options as the CrewAI
    backend maps it)."""
    context = tenant_context(**tenant)
    _, doc = run_on_flow(dsn, flow, context, answer_on_flow(context, "fork", version, new_flow_id))
    emit(doc, as_json, format_document)


# -- delete ---------------------------------------------------------------------------------


@click.command("delete")
@click.argument("flow", type=FLOW_ID)
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the tombstone).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required when stdin is not a terminal).")
@dsn_option
@json_option
@tenant_options
def delete(flow: UUID | CrewAIId, reason: str, yes: bool, dsn: str | None, as_json: bool, **tenant: UUID | None) -> None:
    """Erase a flow and all its content for good, leaving a tombstone (printed).

    The id can never be used again. FLOW is a flow id, or a CrewAI flow id (mapped with the
    tenant options as the CrewAI backend maps it)."""
    context = tenant_context(**tenant)
    if not yes:
        if not sys.stdin.isatty():  # a script must say --yes: nothing to answer a question
            fail("delete erases the flow for good: pass --yes when stdin is not a terminal", EXIT_USAGE)
        if not click.confirm(f"Erase flow {flow} and all its content for good?", err=True):
            fail("nothing deleted", EXIT_FAILED)
    _, tombstone = run_on_flow(dsn, flow, context, answer_on_flow(context, "delete", reason))
    emit(tombstone, as_json, format_tombstone)


def format_rows(rows: dict | None) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted((rows or {}).items()) if count) or "none"


def format_tombstone(t: dict) -> str:
    who = t.get("erased_by") or {}
    lines = [
        f"erased       {t.get('flow_id')} ({t.get('action')}, tombstone {t.get('erasure_id')})",
        f"tenant       client account {t.get('client_account_id')}, engagement {t.get('engagement_id')}",
        f"version      {t.get('flow_version')}",
        f"when         {utc(t.get('erased_at'))}",
        f"by           {', '.join(f'{k} {v}' for k, v in who.items() if v is not None) or '-'}",
        f"reason       {t.get('reason')}",
        f"rows removed {format_rows(t.get('rows'))}",
    ]
    return "\n".join(lines)


# -- retention ------------------------------------------------------------------------------


@click.group("retention")
def retention_group() -> None:
    """Apply or show the retention policies (admins only)."""


@retention_group.command("run")
@click.option("--limit", type=int, help="At most this many flows (default 1000); run again while more are left.")
@click.option("--dry-run", is_flag=True, help="List what a run would do; change nothing.")
@dsn_option
@json_option
def retention_run(limit: int | None, dry_run: bool, dsn: str | None, as_json: bool) -> None:
    """Delete or compact the flows the retention policies say are due, in one batch."""
    result = run(dsn, answer_of(None, "retention_run", limit, dry_run))
    emit(result, as_json, format_retention_run)


def format_retention_run(r: dict) -> str:
    if r.get("busy"):
        return "another retention run is under way: nothing done"
    verb = "would" if r.get("dry_run") else ""
    head = (f"{'dry run: would delete' if r.get('dry_run') else 'deleted'} {r.get('deleted')}, "
            f"{verb + ' ' if verb else ''}compact{'' if verb else 'ed'} {r.get('compacted')}")
    lines = [head]
    flows = r.get("flows") or []
    if flows:
        lines.append(table(["flow id", "type", "action", "terminal since (UTC)"],
                           [[f.get("flow_id"), f.get("flow_type"), f.get("action"), utc(f.get("terminal_since"))]
                            for f in flows]))
    if not r.get("dry_run"):
        lines.append(f"rows removed: {format_rows(r.get('rows'))}")
    if r.get("more"):
        lines.append("more flows are due: run again")
    return "\n".join(lines)


@retention_group.command("show")
@dsn_option
@json_option
def retention_show(dsn: str | None, as_json: bool) -> None:
    """Show the retention policies and the rule each flow type follows."""
    result = run(dsn, answer_of(None, "retention_policies"))
    emit(result, as_json, format_policies)


def format_policies(p: dict) -> str:
    policies = p.get("policies") or []
    if not policies:
        return "no retention policies: retention runs do nothing (see docs/lifecycle.md)"
    lines = ["policies", table(["flow type", "action", "after", "description"],
                               [[r.get("flow_type") or "(default)", r.get("action"), r.get("after"),
                                 r.get("description")] for r in policies])]
    rules = p.get("rules") or []
    if rules:
        lines += ["", "in force", table(["flow type", "action", "after", "from"],
                                        [[r.get("flow_type"), r.get("action"), r.get("after"),
                                          "default" if r.get("is_default") else "own"] for r in rules])]
    return "\n".join(lines)
