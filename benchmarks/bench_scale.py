"""Cost stays flat as data grows: save, batch save and load latency at 10k, 100k and 1M flows.

    python benchmarks/bench_scale.py [--dsn DSN] [--sizes 10000,100000,1000000] [--json]

The store is grown in SQL (INSERT ... SELECT, triggers off for the bulk load, audit history
written alongside: a snapshot and two change rows per flow), then VACUUM ANALYZE, then random
existing flows are saved and loaded through the functions, and saved 16 at a time as the write
coalescer sends them (flow_save_states, one call per batch). Latency at the largest size should
be within 1.2x of the smallest. The floor (a bare upsert plus history row, a bare SELECT) runs
on a table of the same size in the same run, to tell what any table of that size costs from
what pgflowstate adds. The plans of the hot lookups are printed to show index scans.
"""

from __future__ import annotations

import argparse
import hashlib
import asyncio
import json
import os
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database, connect, summary, timed  # noqa: E402

TENANT = {"client_account_id": "6a1d3c5e-0f2b-4d6a-8c1e-3b5d7f9a1c2e",
          "engagement_id": "7b2e4d6f-1a3c-4e5b-9d2f-4c6e8a0b2d3f",
          "user_id": "8c3f5e7a-2b4d-4f6c-ae3a-5d7f9b1c3e4a"}

# Flow i has id md5('flow' || i)::uuid, so the client can pick random existing flows.
GROW = ["""
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version,
                             current_phase, phases_completed, status, state_data, history_changes, history_bytes)
select md5('flow' || i)::uuid, 'discovery', $1, $2, $3, 3, 'field_mapping', '{data_import}', 'running',
       jsonb_build_object('field_mapping', jsonb_build_object('mappings',
         (select jsonb_object_agg('source_' || k, 'target_' || ((i + k) % 97)) from generate_series(1, 25) k)),
         'iteration', 3), 2, 120
  from generate_series($4::bigint + 1, $5::bigint) i
""", """
insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, new_phase,
                                 actor_user_id, actor_role, snapshot, changes)
select md5('flow' || i)::uuid, 0, op, nullif(v - 1, 0), v, case when v > 1 then 'data_import' end,
       case when v < 3 then 'data_import' else 'field_mapping' end, $1, 'bench',
       case when v = 1 then jsonb_build_object('flow_id', md5('flow' || i)::uuid, 'flow_type', 'discovery',
         'current_phase', 'data_import', 'phases_completed', '[]'::jsonb, 'status', 'running',
         'state_data', '{"iteration": 1}'::jsonb) end,
       case when v > 1 then jsonb_build_array(jsonb_build_array('{state_data,iteration}'::text[], v)) end
  from generate_series($2::bigint + 1, $3::bigint) i,
       (values (1, 'create'), (2, 'save'), (3, 'transition')) h(v, op)
"""]


FLOOR = """
create table if not exists bench_floor (flow_id uuid primary key, version bigint not null, doc jsonb not null);
alter table bench_floor alter column doc set compression lz4;
create table if not exists bench_floor_history (flow_id uuid not null, version bigint not null, doc jsonb not null,
                                                primary key (flow_id, version));
alter table bench_floor_history alter column doc set compression lz4;
"""
GROW_FLOOR = """
with f as (
  insert into bench_floor (flow_id, version, doc)
  select f.flow_id, 3, flowstate._document(f, true) from flowstate.flows f
   where f.flow_id in (select md5('flow' || i)::uuid from generate_series($1::bigint + 1, $2::bigint) i)
  returning flow_id, version, doc)
insert into bench_floor_history select flow_id, v, doc from f, generate_series(1, 3) v
"""
FLOOR_SAVE = """
with u as (
  insert into bench_floor as f (flow_id, version, doc) values ($1, 1, $2)
  on conflict (flow_id) do update set version = f.version + 1, doc = excluded.doc
  returning version)
insert into bench_floor_history (flow_id, version, doc) select $1, u.version, $2 from u
"""


async def grow(conn, have: int, want: int) -> None:
    # One batch at a time, so a 1M-flow load never needs one giant transaction.
    step = 100_000
    for start in range(have, want, step):
        async with conn.transaction():
            # A bulk load: triggers off, the audit rows are written by the second statement.
            await conn.execute("set local session_replication_role = replica")
            user, end = uuid.UUID(TENANT["user_id"]), min(start + step, want)
            flows, audit = GROW
            await conn.execute(flows, uuid.UUID(TENANT["client_account_id"]),
                               uuid.UUID(TENANT["engagement_id"]), user, start, end)
            await conn.execute(audit, user, start, end)
            await conn.execute(GROW_FLOOR, start, end)
    await conn.execute("vacuum analyze flowstate.flows")
    await conn.execute("vacuum analyze bench_floor")
    await conn.execute("vacuum analyze bench_floor_history")
    await conn.execute("analyze flowstate.audit_log")


def flow_id(i: int) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(f"flow{i}".encode()).hexdigest())


async def measure(conn, size: int, operations: int) -> dict:
    save = await conn.prepare("select flowstate.flow_save_state($1, $2, $3, $4)")
    load = await conn.prepare("select flowstate.flow_load_state($1, $2)")
    floor_save = await conn.prepare(FLOOR_SAVE)
    floor_load = await conn.prepare("select doc from bench_floor where flow_id = $1")
    save_batch = await conn.prepare("select flowstate.flow_save_states($1, $2)")
    rng = random.Random(size)
    samples = {"save": [], "load": [], "floor_save": [], "floor_load": [], "save_batch_16": []}
    for _ in range(operations):
        fid = flow_id(rng.randint(1, size))
        document = await timed(samples["load"], load.fetchval(fid, TENANT))
        document["state_data"]["iteration"] += 1
        await timed(samples["save"], save.fetchval(fid, document, document["flow_version"], TENANT))
        batch = await conn.fetch("select flow_id, flow_version from flowstate.flows where flow_id = any($1::uuid[])",
                                 list({flow_id(rng.randint(1, size)) for _ in range(16)}))
        items = [{"flow_id": str(f), "expected_version": v, "state": dict(document, flow_id=str(f))} for f, v in batch]
        saved = await timed(samples["save_batch_16"], save_batch.fetchval(items, TENANT))
        assert all(item["ok"] for item in saved), saved
        # The floor on another random flow of the same size of table, same payload.
        other = flow_id(rng.randint(1, size))
        await timed(samples["floor_load"], floor_load.fetchval(other))
        await timed(samples["floor_save"], floor_save.fetch(other, document))
    return {op: summary(values) for op, values in samples.items()}


async def plans(conn) -> dict:
    fid = flow_id(1)
    lookups = {
        "flows by flow_id": f"select * from flowstate.flows where flow_id = '{fid}'",
        "audit row of a version": f"select * from flowstate.audit_log where flow_id = '{fid}' and new_version = 2 "
                                  "order by new_version desc, audit_id desc limit 1",
    }
    result = {}
    for name, sql in lookups.items():
        rows = await conn.fetch("explain (costs off) " + sql)
        result[name] = [r[0] for r in rows]
    return result


async def run(dsn: str, sizes: list[int], operations: int) -> dict:
    conn = await connect(dsn)
    try:
        await conn.execute(FLOOR)
        results, have = {}, 0
        for size in sizes:
            await grow(conn, have, size)
            have = size
            results[str(size)] = await measure(conn, size, operations)
        smallest, largest = results[str(sizes[0])], results[str(sizes[-1])]
        results["ratio_largest_to_smallest_p50"] = {
            op: round(largest[op]["p50_ms"] / smallest[op]["p50_ms"], 2)
            for op in ("save", "save_batch_16", "load", "floor_save", "floor_load")}
        results["plans"] = await plans(conn)
        return results
    finally:
        await conn.close()


def print_report(results: dict, sizes: list[int]) -> None:
    ops = ("save", "save_batch_16", "floor_save", "load", "floor_load")
    print(f"{'flows':>10}" + "".join(f"{op + ' p50':>19}" for op in ops) + "  (ms)")
    for size in sizes:
        r = results[str(size)]
        print(f"{size:>10}" + "".join(f"{r[op]['p50_ms']:>19.3f}" for op in ops))
    ratio = results["ratio_largest_to_smallest_p50"]
    print(f"p50 at {sizes[-1]} flows / at {sizes[0]}: " + ", ".join(f"{op} {ratio[op]:.2f}x" for op in ops))
    for name, plan in results["plans"].items():
        print(f"plan, {name}: " + " / ".join(line.strip() for line in plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--operations", type=int, default=400)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with bench_database(args.dsn) as dsn:
        results = asyncio.run(run(dsn, sizes, args.operations))
    print(json.dumps(results, indent=2)) if args.json else print_report(results, sizes)


if __name__ == "__main__":
    main()
