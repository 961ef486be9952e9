"""`pgflowstate bench`: our operations next to floors and peers, measured in one run.

On one server, in interleaved rounds (so noise hits every candidate alike):
- floor_save: a bare single-statement upsert of the JSONB row plus an appended history row
  (jsonb columns with lz4, full copy in history, no validation); floor_load: a bare prepared
  SELECT of the document; both through a pool like the wrapper's (create_pool), as an
  application calls them;
- our save, load and transition through the Python wrapper as users call it
  (create_pool() + FlowStateStore), and load_cached: a load through the optional read cache
  (CachedFlowStateStore) of a flow unchanged since it was last read, a version probe;
- where installed: LangGraph's AsyncPostgresSaver (aput / aget_tuple) and CrewAI's
  SQLiteFlowPersistence.save_state on the same payloads;
at 1 KB and 100 KB with 1 client; throughput with 16 concurrent writers: the floor by 16
clients, our saves one by one (16 clients), coalesced as by default on the same pool and on a
pool of 2 connections (16 writers of one store, see coalesce.py); and time travel (flow_state_at at the middle and newest versions of a 100 KB
flow whose versions each changed a different nested key, 1,000 of them next to 10, and next to
a load of the same flow). Every ratio is to the floor (or, for the peers, theirs to ours).
Results are comparable only within one run; the header names the server's version.

The state is a mapping of small objects (about 850 at 100 KB) of which each save changes one
key, as a flow step does: the shape that costs a store most per byte (a few large strings would
flatter every candidate's JSON work).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Awaitable, Callable

import asyncpg
import click

from ..cache import CachedFlowStateStore
from ..codec import encode_json
from ..connection import asyncpg_url
from ..models import RequestContext
from ..pool import create_pool
from ..store import FlowStateStore
from .common import cli_errors, dsn_option, emit, json_option, resolve_dsn

FLOOR_DDL = """
create table if not exists public.bench_floor (flow_id uuid primary key, version bigint not null, doc jsonb not null);
create table if not exists public.bench_floor_history (flow_id uuid not null, version bigint not null,
                                                      doc jsonb not null, primary key (flow_id, version));
-- lz4 as the schema's own columns have it (07_compression.sql): where the server lacks it
-- (PostgreSQL 18 from pip), both keep the default, so the floor stays a like-for-like one.
do $$ begin
  alter table public.bench_floor alter column doc set compression lz4;
  alter table public.bench_floor_history alter column doc set compression lz4;
exception when feature_not_supported then null;
end $$;
"""
FLOOR_SAVE = """
with u as (
  insert into public.bench_floor as f (flow_id, version, doc) values ($1, 1, $2)
  on conflict (flow_id) do update set version = f.version + 1, doc = excluded.doc
  returning version)
insert into public.bench_floor_history (flow_id, version, doc) select $1, u.version, $2 from u
"""
FLOOR_LOAD = "select doc from public.bench_floor where flow_id = $1"
FLOOR_DROP = "drop table if exists public.bench_floor, public.bench_floor_history"

SIZES = {"1KB": 1024, "100KB": 100 * 1024}
Op = Callable[[int], Awaitable[object]]


def state_data(target_bytes: int) -> dict:
    """A discovery-like state of about target_bytes of JSON: one small object per asset."""
    assets: dict[str, dict] = {}
    while len(encode_json(assets)) < target_bytes - 40:
        i = len(assets)
        assets[f"asset_{i:04d}"] = {"name": f"server-{i:04d}", "type": ("application", "database", "server")[i % 3],
                                    "environment": "production", "criticality": i % 5, "owner": f"team-{i % 17}",
                                    "status": "discovered"}
    return {"assets": assets, "iteration": 0}


def step(data: dict, i: int) -> dict:
    """``data`` after step ``i``: one key of one asset changes (the rest is shared, not copied)."""
    assets = dict(data["assets"])
    name = f"asset_{i % len(assets):04d}"
    assets[name] = dict(assets[name], step=i)
    return {**data, "assets": assets, "iteration": i}


def summarise(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 3),
            "ops_s": round(len(ordered) / sum(ordered), 1)}


class Candidates:
    """The operations to compare at one payload size, each a function of the iteration."""

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn, self.size = dsn, size
        self.data = state_data(size)
        self.context = RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(),
                                      user_id=uuid.uuid4())
        self.ops: dict[str, Op] = {}
        self.closers: list[Callable[[], Awaitable[None]]] = []
        self.skipped: dict[str, str] = {}

    def document(self, flow_id: uuid.UUID, i: int, phase: str = "field_mapping") -> dict:
        data = step(self.data, i)
        completed = ["data_import"] if phase == "field_mapping" else []
        return {"flow_id": str(flow_id), "current_phase": phase, "phases_completed": completed, "state_data": data}

    async def open(self) -> None:
        # The floor goes through a pool set up like the wrapper's (same JSON codecs, no reset
        # query), as an application would call it: what is compared is the database's work
        # and the wrapper's, not asyncpg's pool against a bare connection.
        floor_pool = await create_pool(self.dsn, min_size=1, max_size=1)
        self.closers.append(floor_pool.close)
        await floor_pool.execute(FLOOR_DDL)
        floor_id = uuid.uuid4()
        self.ops["floor_save"] = lambda i: floor_pool.execute(FLOOR_SAVE, floor_id, self.document(floor_id, i))
        self.ops["floor_load"] = lambda i: floor_pool.fetchval(FLOOR_LOAD, floor_id)

        pool = await create_pool(self.dsn, min_size=1, max_size=1)
        self.closers.append(pool.close)
        store = FlowStateStore(pool, self.context)
        flow_id, steps_id = uuid.uuid4(), uuid.uuid4()
        version = (await store.save_state(flow_id, self.document(flow_id, 0))).flow_version
        versions = {"save": version}

        async def save(i: int):
            stored = await store.save_state(flow_id, self.document(flow_id, i), version=versions["save"])
            versions["save"] = stored.flow_version

        # Transitions back and forth need an open flow type (the crewai type allows any order).
        await store.save_state(steps_id, {"flow_id": str(steps_id), "flow_type": "crewai", "current_phase": "step_a",
                                          "phases_completed": [], "state_data": self.data})
        self.ops["save"] = save
        self.ops["load"] = lambda i: store.load_state(flow_id)
        cached, read_id = CachedFlowStateStore(pool, self.context), uuid.uuid4()
        await cached.save_state(read_id, self.document(read_id, 0))  # never changed afterwards
        self.ops["load_cached"] = lambda i: cached.load_state(read_id)
        phases = ["step_a", "step_b"]

        async def transition(i: int):
            # Back and forth by its own count: i also counts the other operations' calls, so its
            # parity could repeat a phase (InvalidTransitionError) with an even number of them.
            phases.reverse()
            await store.transition_phase(steps_id, phases[0])

        self.ops["transition"] = transition
        await self._langgraph()
        self._crewai()

    async def _langgraph(self) -> None:
        try:  # lazily: langgraph is not ours to require; without it, LangGraph is skipped
            from langgraph.checkpoint.base import empty_checkpoint
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        except ImportError:
            self.skipped["langgraph"] = "langgraph-checkpoint-postgres is not installed"
            return
        context = AsyncPostgresSaver.from_conn_string(self.dsn)
        saver = await context.__aenter__()
        self.closers.append(lambda: context.__aexit__(None, None, None))
        await saver.setup()
        config = {"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}

        async def aput(i: int):
            checkpoint = empty_checkpoint()
            checkpoint["channel_values"] = {"state": step(self.data, i)}
            checkpoint["channel_versions"] = {"state": i + 1}
            await saver.aput(config, checkpoint, {"source": "loop", "step": i}, {"state": i + 1})

        await aput(0)
        self.ops["langgraph_aput"] = aput
        self.ops["langgraph_aget_tuple"] = lambda i: saver.aget_tuple(config)

    def _crewai(self) -> None:
        try:  # lazily: CrewAI is an optional extra; without it, CrewAI is skipped
            from ..crewai.cutover import scratch_sqlite_persistence
        except ImportError:
            self.skipped["crewai"] = "crewai is not installed"
            return
        persistence, remove = scratch_sqlite_persistence()
        flow_uuid = str(uuid.uuid4())

        async def cleanup():
            remove()

        self.closers.append(cleanup)
        self.ops["crewai_sqlite_save"] = lambda i: asyncio.to_thread(
            persistence.save_state, flow_uuid, "step", step(self.data, i))

    async def close(self) -> None:
        for close in reversed(self.closers):
            await close()


async def in_rounds(ops: dict[str, Op], iterations: int, rounds: int) -> dict[str, dict]:
    """Each op about ``iterations`` times, in ``rounds`` turns of the ops (so noise hits them
    alike), called with a running iteration number; summarised per op."""
    samples: dict[str, list[float]] = {name: [] for name in ops}
    per_round = max(1, iterations // rounds)
    i = 0
    for _ in range(rounds):
        for name, op in ops.items():
            for _ in range(per_round):
                i += 1
                start = time.perf_counter()
                await op(i)
                samples[name].append(time.perf_counter() - start)
    return {name: summarise(values) for name, values in samples.items()}


async def latency(dsn: str, size: int, iterations: int, rounds: int) -> tuple[dict, dict]:
    candidates = Candidates(dsn, size)
    await candidates.open()
    try:
        return await in_rounds(candidates.ops, iterations, rounds), candidates.skipped
    finally:
        await candidates.close()


async def throughput(dsn: str, size: int, clients: int, seconds: float) -> dict:
    """ops/s with `clients` concurrent writers in this process, each on its own flow: the floor's
    save (each writer its own connection), our save one by one (likewise), coalesced as by
    default (one store on the same pool: saves queue only when every connection is busy) and
    coalesced on a pool of an eighth as many connections (most saves go in batches, a few
    batches in flight: on a 2-core machine this measured best of 1, 2 and 4 connections)."""
    data = state_data(size)
    pool = await create_pool(dsn, min_size=clients, max_size=clients)
    small = max(1, clients // 8)
    small_pool = await create_pool(dsn, min_size=small, max_size=small)
    context = RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4())
    stores = {"save": FlowStateStore(pool, context, coalesce=False), "save_coalesced": FlowStateStore(pool, context),
              f"save_coalesced_{small}_connections": FlowStateStore(small_pool, context)}

    async def floor_writer(name: str, deadline: float) -> int:
        flow_id, n = uuid.uuid4(), 0
        while time.perf_counter() < deadline:
            n += 1
            await pool.execute(FLOOR_SAVE, flow_id, step(data, n))
        return n

    async def our_writer(name: str, deadline: float) -> int:
        store, flow_id, n = stores[name], uuid.uuid4(), 0
        doc = {"flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [], "state_data": data}
        version = (await store.save_state(flow_id, doc)).flow_version
        while time.perf_counter() < deadline:
            n += 1
            doc = dict(doc, state_data=step(data, n))
            version = (await store.save_state(flow_id, doc, version=version)).flow_version
        return n

    try:
        result = {}
        for name, writer in (("floor_save", floor_writer), *((name, our_writer) for name in stores)):
            deadline = time.perf_counter() + seconds
            counts = await asyncio.gather(*(writer(name, deadline) for _ in range(clients)))
            result[name] = {"ops_s": round(sum(counts) / seconds, 1)}
        for name in stores:
            result[name]["ratio_to_floor"] = round(result[name]["ops_s"] / result["floor_save"]["ops_s"], 2)
        return result
    finally:
        await pool.close()
        await small_pool.close()


# Grows a flow's history server-side (sending 1,000 100 KB states would measure the network):
# save i sets "step" in the i-th asset, so each version changes a different nested key.
GROW_HISTORY = """
do $$
declare
  v_doc jsonb := flowstate.flow_load_state('{flow_id}', '{context}');
  v_version bigint := (v_doc ->> 'flow_version')::bigint;
  v_assets text[] := array(select jsonb_object_keys(v_doc -> 'state_data' -> 'assets') order by 1);
begin
  for i in 1 .. {saves} loop
    v_doc := jsonb_set(v_doc, array['state_data', 'assets', v_assets[1 + (i - 1) % cardinality(v_assets)], 'step'],
                       to_jsonb(i));
    perform flowstate.flow_save_state('{flow_id}', v_doc, v_version + i - 1, '{context}');
  end loop;
end $$
"""
STATE_AT = "select flowstate.flow_state_at(p_flow_id => $1, p_version => $2, p_context => $3::jsonb)::text"
LOAD = "select flowstate.flow_load_state(p_flow_id => $1, p_context => $2::jsonb)::text"


async def time_travel(dsn: str, size: int, versions: int, repeats: int) -> dict:
    """p50 of flow_state_at at the middle and newest versions of a flow with `versions`
    versions and of one with 10, each version changing a different nested key, and of a load
    of the deep flow; interleaved. Ratios: deep to shallow, and deep to the load."""
    context = encode_json(RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(),
                                         user_id=uuid.uuid4()).jsonb())
    conn = await asyncpg.connect(dsn)
    try:
        flows = {}
        for count in (10, versions):
            flow_id = uuid.uuid4()
            doc = {"flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [],
                   "state_data": state_data(size)}
            await conn.fetchval("select flowstate.flow_save_state($1, $2::jsonb, null, $3::jsonb)::text",
                                flow_id, encode_json(doc), context)
            # ids and context are UUIDs made here, so they are safe to put in the block's text
            await conn.execute(GROW_HISTORY.format(flow_id=flow_id, context=context, saves=count - 1))
            flows[count] = flow_id
        state_at, load = await conn.prepare(STATE_AT), await conn.prepare(LOAD)
        cases = {f"{count}_versions_{where}": (state_at, flows[count], version)
                 for count in (10, versions) for where, version in (("middle", count // 2), ("newest", count))}
        samples: dict[str, list[float]] = {name: [] for name in (*cases, "load")}
        for _ in range(repeats):
            for name, (statement, flow_id, version) in cases.items():
                start = time.perf_counter()
                found = await statement.fetchval(flow_id, version, context)
                samples[name].append(time.perf_counter() - start)
                assert found is not None, name
            start = time.perf_counter()
            await load.fetchval(flows[versions], context)
            samples["load"].append(time.perf_counter() - start)
        rows = {name: summarise(values) for name, values in samples.items()}
        for where in ("middle", "newest"):
            deep = rows[f"{versions}_versions_{where}"]
            deep["x_10_versions"] = round(deep["p50_ms"] / rows[f"10_versions_{where}"]["p50_ms"], 2)
            deep["x_load"] = round(deep["p50_ms"] / rows["load"]["p50_ms"], 2)
        return rows
    finally:
        await conn.close()


def ratios(rows: dict) -> None:
    """Add every ratio: ours to the floor, the peers to ours (above 1: we are faster)."""
    for name, floor in (("save", "floor_save"), ("transition", "floor_save"), ("load", "floor_load"),
                        ("load_cached", "floor_load"), ("langgraph_aput", "floor_save"), ("crewai_sqlite_save", "floor_save"),
                        ("langgraph_aget_tuple", "floor_load")):
        if name in rows:
            rows[name]["ratio_to_floor"] = round(rows[name]["p50_ms"] / rows[floor]["p50_ms"], 2)
    for peer, ours in (("langgraph_aput", "save"), ("langgraph_aget_tuple", "load"), ("crewai_sqlite_save", "save")):
        if peer in rows:
            rows[peer]["ours_faster_by"] = round(rows[peer]["p50_ms"] / rows[ours]["p50_ms"], 2)


async def server_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("show server_version")
    finally:
        await conn.close()


async def run(dsn: str, iterations: int = 400, rounds: int = 8, clients: int = 16, seconds: float = 3.0,
              versions: int = 1000) -> dict:
    results: dict = {"server_version": await server_version(dsn), "latency": {}, "throughput": {},
                     "time_travel": {}, "skipped": {}}
    try:
        for label, size in SIZES.items():
            rows, skipped = await latency(dsn, size, iterations, rounds)
            ratios(rows)
            results["latency"][label] = rows
            results["skipped"].update(skipped)
            results["throughput"][label] = {f"{clients}_clients": await throughput(dsn, size, clients, seconds)}
        results["time_travel"]["100KB"] = await time_travel(dsn, SIZES["100KB"], versions, max(5, iterations // 20))
    finally:
        conn = await asyncpg.connect(dsn)
        await conn.execute(FLOOR_DROP)
        await conn.close()
    return results


def format_results(results: dict) -> str:
    lines = [f"pgflowstate bench on PostgreSQL {results['server_version']}",
             f"{'size':<7}{'operation':<22}{'p50 ms':>9}{'p95 ms':>9}{'ops/s':>9}{'x floor':>9}{'ours faster':>13}"]
    for label, rows in results["latency"].items():
        for name, r in rows.items():
            ratio = f"{r['ratio_to_floor']:.2f}" if "ratio_to_floor" in r else ""
            faster = f"{r['ours_faster_by']:.2f}x" if "ours_faster_by" in r else ""
            lines.append(f"{label:<7}{name:<22}{r['p50_ms']:>9.3f}{r['p95_ms']:>9.3f}{r['ops_s']:>9.0f}{ratio:>9}{faster:>13}")
    for label, by_clients in results["throughput"].items():
        for clients, r in by_clients.items():
            ours = ", ".join(f"{name.replace('_', ' ')} {row['ops_s']:.0f} ({row['ratio_to_floor']:.2f}x)"
                             for name, row in r.items() if name != "floor_save")
            lines.append(f"{label:<7}throughput, {clients.replace('_', ' ')}: floor {r['floor_save']['ops_s']:.0f} ops/s; {ours}")
    for label, rows in results["time_travel"].items():
        for name, r in rows.items():
            versus = (f"{r['x_10_versions']:.2f}x 10 versions, {r['x_load']:.2f}x a load"
                      if "x_load" in r else "")
            lines.append(f"{label:<7}{'state_at ' + name.replace('_', ' ') if name != 'load' else 'load (same flow)':<29}"
                         f"{r['p50_ms']:>9.3f}{r['p95_ms']:>9.3f}  {versus}")
    for name, why in results["skipped"].items():
        lines.append(f"skipped {name}: {why}")
    return "\n".join(lines)


@click.command("bench")
@click.option("--iterations", type=click.IntRange(8), default=400, show_default=True,
              help="Calls per operation and size (split into interleaved rounds).")
@click.option("--clients", type=click.IntRange(1, 64), default=16, show_default=True,
              help="Concurrent writers for the throughput run.")
@click.option("--seconds", type=float, default=3.0, show_default=True, help="Length of each throughput run.")
@click.option("--versions", type=click.IntRange(20), default=1000, show_default=True,
              help="Versions of the deep flow in the time-travel run (next to one of 10).")
@dsn_option
@json_option
def bench_command(iterations: int, clients: int, seconds: float, versions: int, dsn: str | None,
                  as_json: bool) -> None:
    """Measure save, load and transition through the wrapper next to floors measured in the
    same run (a bare upsert plus history row, a bare prepared SELECT), and LangGraph's
    AsyncPostgresSaver and CrewAI's SQLiteFlowPersistence where installed (pip install
    'pgflowstate[bench]'); 16 writers one by one and coalesced; time travel at depth. Writes
    scratch tables and flows (and LangGraph's own tables): use a scratch database."""
    dsn = resolve_dsn(dsn)
    with cli_errors():
        results = asyncio.run(run(asyncpg_url(dsn), iterations, clients=clients, seconds=seconds, versions=versions))
    emit(results, as_json, format_results)
