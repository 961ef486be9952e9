"""`pgflowstate demo`: one discovery flow, start to finish, with everything that can go wrong.

A migration-discovery flow is driven through every phase of the built-in ``discovery`` type with
a checkpoint per phase; two agents write at the same moment (one gets a
ConcurrentModificationError and retries); the dependency analysis crashes and the flow is
recovered from its last checkpoint; a DBA's direct UPDATE corrupts the state, which is
quarantined and reset (the alert arrives over LISTEN) and then recovered; finally the flow's
history and a diff are printed, with the wrapper's own latency metrics. Every id (tenant, user,
flow) is random, so runs never collide, even on a shared database.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Callable

import asyncpg
import click

from ..alerts import AlertStream, listen_alerts
from ..connection import DatabaseError, asyncpg_url, describe, open_pool
from ..errors import ConcurrentModificationError, InvalidTransitionError
from ..manager import FlowStateManager
from ..metrics import Metrics
from ..models import Alert, FlowState, RequestContext
from ..schema import schema_ready
from ..store import FlowStateStore
from .common import cli_errors, dsn_option, indent, operation_errors, resolve_dsn
from .flows import format_diff, format_history
from .stats import format_operations

ALERT_TIMEOUT = 10

# What each phase produces: realistic enough to read, small enough to print.
PHASE_RESULTS: dict[str, dict[str, Any]] = {
    "data_import": {
        "source": "cmdb_export_2024-06.csv", "rows": 1240, "rejected_rows": 3,
        "columns": ["hostname", "ip_addr", "os_name", "cpu_count", "ram_gb", "env", "app_code", "owner_email"],
    },
    "field_mapping": {
        "mappings": {"hostname": "asset_name", "ip_addr": "ip_address", "os_name": "operating_system",
                     "cpu_count": "cpu_cores", "ram_gb": "memory_gb", "env": "environment"},
        "confidence_scores": {"hostname": 0.99, "ip_addr": 0.97, "os_name": 0.93, "cpu_count": 0.88,
                              "ram_gb": 0.91, "env": 0.76},
        "unmapped": ["app_code", "owner_email"],
    },
    "data_cleansing": {
        "duplicates_removed": 37, "rows_after": 1200,
        "normalised": {"environment": {"PROD": "production", "prd": "production", "UAT": "staging"}},
    },
    "asset_inventory": {"servers": 812, "databases": 143, "applications": 245, "unclassified": 0},
    "dependency_analysis": {
        "edges": 1930, "clusters": 41,
        "critical_paths": [["web-01", "app-07", "db-03"], ["batch-02", "db-03"]],
    },
    "tech_debt_analysis": {"end_of_life_os": 96, "unsupported_databases": 12, "debt_score": 0.62},
}
PHASES = list(PHASE_RESULTS)


class Demo:
    def __init__(self, dsn: str, say: Callable[[str], Any]) -> None:
        self.dsn = dsn
        self.say = say
        self.context = RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(),
                                      user_id=uuid.uuid4())
        self.flow_id = uuid.uuid4()
        self.metrics = Metrics()

    # -- helpers --------------------------------------------------------------------------

    def step(self, title: str) -> None:
        self.say("")
        self.say(f"== {title}")

    def line(self, text: str) -> None:
        self.say(f"   {text}")

    async def save_phase(self, current: FlowState, phase: str) -> FlowState:
        """Save the phase's results, moving to ``phase`` in the same call (checked like a
        transition), then checkpoint it."""
        doc = current.document()
        doc["phases_completed"] = [*current.phases_completed, current.current_phase]
        doc["state_data"] = {**(current.state_data or {}), phase: PHASE_RESULTS[phase]}
        saved = await self.store.save_state(self.flow_id, doc, phase=phase, version=current.flow_version)
        checkpoint = await self.store.create_checkpoint(self.flow_id, label=f"{phase} done")
        self.line(f"v{saved.flow_version:<3} {phase:<20} {summary(phase)}   checkpoint {short_id(checkpoint)}")
        return saved

    async def alert(self, event: str) -> Alert:
        """The next alert about this demo's flow with ``event``."""
        async def first() -> Alert:
            async for alert in self.alerts:
                if alert.flow_id == self.flow_id and alert.event == event:
                    return alert
            raise ConnectionError("the alert stream ended")

        return await asyncio.wait_for(first(), ALERT_TIMEOUT)

    # -- the story ------------------------------------------------------------------------

    async def run(self) -> None:
        started = time.perf_counter()
        pool = await open_pool(self.dsn, min_size=2, max_size=4)
        try:
            if not await schema_ready(pool):
                raise DatabaseError(f"no flowstate schema in {describe(self.dsn)}: run `pgflowstate db upgrade`")
            self.say(f"pgflowstate demo on {describe(self.dsn)}")
            self.say(f"tenant: client account {self.context.client_account_id}, engagement "
                     f"{self.context.engagement_id}, user {self.context.user_id}")
            self.store = FlowStateStore(pool, self.context)
            self.store.metrics = self.metrics
            self.manager = FlowStateManager(self.store)
            async with listen_alerts(asyncpg_url(self.dsn), context=self.context) as alerts:
                self.alerts: AlertStream = alerts
                await self.story(pool)
        finally:
            await pool.close()
        self.step("What the wrapper measured (pgflowstate.metrics; export with Metrics.prometheus())")
        self.say(indent(format_operations(self.metrics.snapshot()), "   "))
        self.say("")
        self.say(f"done in {time.perf_counter() - started:.1f} s. Look again with:")
        self.say(f"   pgflowstate show {self.flow_id}")
        self.say(f"   pgflowstate history {self.flow_id}")
        self.say("   pgflowstate ui --open     (the web inspector: open the flow by its id)")

    async def story(self, pool: asyncpg.Pool) -> None:
        store, flow_id = self.store, self.flow_id

        self.step("1. A discovery flow is created (the database validates it and owns its version)")
        doc = {"flow_id": str(flow_id), "flow_type": "discovery", "current_phase": "data_import",
               "phases_completed": [], "state_data": {"data_import": PHASE_RESULTS["data_import"]}}
        current = await store.save_state(flow_id, doc)
        checkpoint = await store.create_checkpoint(flow_id, label="import done")
        self.line(f"flow {flow_id}")
        self.line(f"v{current.flow_version:<3} {'data_import':<20} {summary('data_import')}   "
                  f"checkpoint {short_id(checkpoint)}")

        self.step("2. Field mapping: two agents write at the same moment")
        current = await self.save_phase(current, "field_mapping")
        before_writers = current.flow_version
        await self.concurrent_writers()
        current = await store.load_state(flow_id)

        self.step("3. Through the phases (a save that changes the phase is checked like a transition)")
        for phase in ("data_cleansing", "asset_inventory", "dependency_analysis"):
            current = await self.save_phase(current, phase)
        try:
            await store.transition_phase(flow_id, "completed")
        except InvalidTransitionError as exc:
            self.line(f"skipping ahead to completed is refused: InvalidTransitionError ({exc.sqlstate}), "
                      f"allowed next: {', '.join(exc.allowed)}")

        self.step("4. The dependency-analysis agent crashes; the flow is recovered")
        failed = await store.transition_phase(flow_id, "failed")
        self.line(f"v{failed.flow_version:<3} failed (in {failed.failed_phase}): status {failed.status}")
        recovered = await store.recover_failed(flow_id)
        alert = await self.alert("flow_recovered")
        self.line(f"v{recovered.flow_version:<3} flow_recover_failed restored checkpoint "
                  f"{short_id(recovered.restored_checkpoint_id)}: phase {recovered.current_phase}, "
                  f"status {recovered.status}")
        self.line(f"alert via LISTEN flowstate_alerts: {alert.event} (by {alert.actor_role})")
        current = await self.save_phase(recovered, "tech_debt_analysis")

        self.step("5. A DBA's direct UPDATE corrupts the state")
        if await self.is_admin(pool):
            current = await self.corruption(pool)
        else:
            self.line("skipped: this step's direct UPDATE of flowstate.flows needs a superuser or a")
            self.line("flowstate_admin member, and this DSN connects as an application role.")

        self.step("6. Completed")
        done = await store.transition_phase(flow_id, "completed", version=current.flow_version)
        self.line(f"v{done.flow_version:<3} {done.current_phase}: status {done.status}, phases completed: "
                  f"{', '.join(done.phases_completed)}")

        self.step("7. The flow's history (flowstate.flow_history; `pgflowstate history` prints the same)")
        entries = await store.history(flow_id)
        self.say(indent(format_history({"flow_id": str(flow_id),
                                        "entries": [e.model_dump(mode="json") for e in entries]}, compact=True), "   "))

        merged = before_writers + 2
        self.step(f"8. What the two agents changed together: flowstate.flow_diff v{before_writers} -> v{merged}")
        changes = await store.diff(flow_id, before_writers, merged)
        self.say(indent(format_diff({"flow_id": str(flow_id), "from_version": before_writers, "to_version": merged,
                                     "changes": [c.model_dump(mode="json") for c in changes]}), "   "))

    async def concurrent_writers(self) -> None:
        """Two tasks read the same version, then both save: one wins, the other gets FS002
        and retries on the new version (read-modify-write), so neither change is lost."""
        both_read = asyncio.Event()
        reads: list[int] = []

        async def agent(name: str, change: Callable[[dict], None]) -> str:
            current = await self.store.load_state(self.flow_id)
            reads.append(current.flow_version)
            if len(reads) == 2:
                both_read.set()
            await both_read.wait()
            doc = current.document()
            change(doc["state_data"])
            try:
                saved = await self.store.save_state(self.flow_id, doc, version=current.flow_version)
                return f"{name}: saved v{saved.flow_version}"
            except ConcurrentModificationError as exc:
                saved = await self.manager.update_with_retry(self.flow_id, change)
                return (f"{name}: ConcurrentModificationError (expected v{exc.expected}, found "
                        f"v{exc.actual}); reloaded and retried: saved v{saved.flow_version}")

        def map_more(state: dict) -> None:  # the mapping agent maps the two leftover columns
            mapping = state["field_mapping"]
            mapping["mappings"].update(app_code="application_id", owner_email="business_owner")
            mapping["confidence_scores"].update(app_code=0.84, owner_email=0.95)
            mapping["unmapped"] = []

        def review(state: dict) -> None:  # the reviewer approves the mapping of low-confidence env
            state["field_mapping"]["review"] = {"approved": ["env"], "reviewer": "data-steward"}

        results = await asyncio.gather(agent("mapping agent", map_more), agent("reviewer     ", review))
        self.line(f"both read v{reads[0]} and saved with it as the expected version:")
        for result in sorted(results, key=lambda r: "Error" in r):  # the winner first
            self.line(f"  {result}")

    async def is_admin(self, pool: asyncpg.Pool) -> bool:
        return bool(await pool.fetchval(
            "select r.rolsuper or pg_has_role(r.oid, 'flowstate_admin', 'member')"
            " from pg_roles r where r.rolname = session_user"))

    async def corruption(self, pool: asyncpg.Pool) -> FlowState:
        store, flow_id = self.store, self.flow_id
        sql = ("update flowstate.flows set current_phase = 'tech_debt_anaylsis',"
               " phases_completed = phases_completed || 'data_import'::text where flow_id = $1")
        async with pool.acquire() as conn:
            await conn.execute(sql, flow_id)
            self.line("psql> " + sql.replace("$1", f"'{flow_id}'"))
            invalid = await conn.fetch(
                "select errors from flowstate.flow_validate_all() where flow_id = $1", flow_id)
        self.line("flowstate.flow_validate_all() finds it:")
        for error in invalid[0]["errors"] if invalid else []:
            self.line(f"  - {error}")
        report = await store.handle_corrupted(flow_id)
        alert = await self.alert("corrupted_state_reset")
        self.line(f"v{report.document.flow_version:<3} flow_handle_corrupted: archived as quarantine "
                  f"{short_id(report.quarantine_id)}, reset to {report.document.current_phase}")
        self.line(f"alert via LISTEN flowstate_alerts: {alert.event}, archived version "
                  f"{alert.model_extra.get('archived_version')}")
        recovered = await store.recover_failed(flow_id)
        await self.alert("flow_recovered")
        self.line(f"v{recovered.flow_version:<3} flow_recover_failed: back at {recovered.current_phase} with "
                  f"{len(recovered.state_data or {})} phases of results, status {recovered.status}")
        return recovered


def summary(phase: str) -> str:
    r = PHASE_RESULTS[phase]
    if phase == "data_import":
        return f"{r['rows']} rows from {r['source']}"
    if phase == "field_mapping":
        scores = r["confidence_scores"].values()
        return f"{len(r['mappings'])} fields mapped, mean confidence {sum(scores) / len(scores):.2f}"
    if phase == "data_cleansing":
        return f"{r['duplicates_removed']} duplicates removed, {r['rows_after']} rows left"
    if phase == "asset_inventory":
        return f"{r['servers']} servers, {r['databases']} databases, {r['applications']} applications"
    if phase == "dependency_analysis":
        return f"{r['edges']} dependencies in {r['clusters']} clusters"
    return f"{r['end_of_life_os']} end-of-life OS, debt score {r['debt_score']}"


def short_id(value: Any) -> str:
    return str(value)[:8]


async def run_demo(dsn: str, say: Callable[[str], Any] = print) -> None:
    """Run the demo against ``dsn`` (which must have the schema), printing with ``say``."""
    await Demo(dsn, say).run()


@click.command("demo")
@dsn_option
def demo(dsn: str | None) -> None:
    """Run a discovery flow end to end, in a few seconds.

    Every phase with checkpoints, a write conflict and its retry, a crash and recovery, a
    corrupted state reset (alert via LISTEN), then the flow's history and a diff. Without
    --dsn or DATABASE_URL it runs on the local server, started if needed."""
    dsn = resolve_dsn(dsn)
    with cli_errors(), operation_errors():
        asyncio.run(run_demo(dsn, click.echo))
