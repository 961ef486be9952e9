"""Lifecycle at scale: search pages, deleting a long flow, retention throughput.

    python benchmarks/bench_lifecycle.py [--dsn DSN] [--flows 1000000] [--json]

The store is grown in SQL (INSERT ... SELECT from generate_series, triggers off for the bulk
load): --flows flows of 100 tenants, in every phase, each with a snapshot and two change rows
of audit history, then VACUUM ANALYZE. Then, in one run on one server:

- search: the first page (50) of a tenant's flows through flow_search, next to a bare indexed
  SELECT of the same rows and columns (as the superuser: no row-level security, no document
  building) — unfiltered, filtered by phase, and an admin's page across tenants — and next to
  a bare SELECT building the same rows into one JSON array. p50 and ratios.
- delete: flow_delete of flows with 1,000 versions each (made through flow_save_state), next to
  a bare DELETE of the same rows (triggers off).
- retention: flow_retention_run in batches of 2,000 over 2% of the flows (finished 40 days ago,
  a delete policy), next to bare DELETEs of an equal set (their rows in flows and audit_log, in
  batches of 2,000, triggers off): flows per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database, connect, summary, timed  # noqa: E402

TENANTS = 100
PHASES = ["data_import", "field_mapping", "data_cleansing", "asset_inventory", "dependency_analysis"]


def tenant(t: int) -> dict:
    """Tenant t's request context (the ids GROW gives it)."""
    return {"client_account_id": f"00000000-0000-4000-a000-{t:012d}",
            "engagement_id": f"00000000-0000-4000-b000-{t:012d}",
            "user_id": "8c3f5e7a-2b4d-4f6c-ae3a-5d7f9b1c3e4a"}


# Flow i: tenant i % 100, updated i seconds ago; every tenant has flows of every kind, by
# k = i / 100: k % 50 = 0, a discovery flow completed 40 days ago (retention's set); k % 50 = 25,
# a crewai flow completed 40 days ago (the bare DELETE's set, same shape, no policy); the rest
# running, in every phase.
GROW = ["""
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version,
                             current_phase, phases_completed, status, state_data, metadata, history_changes,
                             history_bytes, created_at, updated_at)
select md5('flow' || i)::uuid, case when i / 100 % 50 = 25 then 'crewai' else 'discovery' end,
       ('00000000-0000-4000-a000-' || lpad((i % 100)::text, 12, '0'))::uuid,
       ('00000000-0000-4000-b000-' || lpad((i % 100)::text, 12, '0'))::uuid,
       '8c3f5e7a-2b4d-4f6c-ae3a-5d7f9b1c3e4a', 3,
       case when i / 100 % 50 in (0, 25) then 'completed'
            else (array['data_import','field_mapping','data_cleansing','asset_inventory','dependency_analysis'])[1 + i / 100 % 5] end,
       case when i / 100 % 50 in (0, 25) then '{data_import,field_mapping,data_cleansing,asset_inventory,dependency_analysis,tech_debt_analysis}'::text[]
            else '{}' end,
       case when i / 100 % 50 in (0, 25) then 'completed' else 'running' end,
       jsonb_build_object('mappings', (select jsonb_object_agg('source_' || k, 'target_' || ((i + k) % 97))
                                         from generate_series(1, 10) k), 'iteration', 3),
       jsonb_build_object('batch', i % 10), 2, 120,
       now() - i * interval '1 second' - interval '1 day',
       case when i / 100 % 50 in (0, 25) then now() - interval '40 days' - i * interval '1 millisecond'
            else now() - i * interval '1 second' end
  from generate_series($1::bigint + 1, $2::bigint) i
""", """
insert into flowstate.audit_log (flow_id, generation, operation, old_version, new_version, old_phase, new_phase,
                                 actor_user_id, actor_role, snapshot, changes)
select md5('flow' || i)::uuid, 0, op, nullif(v - 1, 0), v, 'data_import', 'data_import',
       '8c3f5e7a-2b4d-4f6c-ae3a-5d7f9b1c3e4a', 'bench',
       case when v = 1 then jsonb_build_object('flow_id', md5('flow' || i)::uuid, 'flow_type', 'discovery',
         'current_phase', 'data_import', 'phases_completed', '[]'::jsonb, 'status', 'running',
         'state_data', '{"iteration": 1}'::jsonb) end,
       case when v > 1 then jsonb_build_array(jsonb_build_array('{state_data,iteration}'::text[], v)) end
  from generate_series($1::bigint + 1, $2::bigint) i, (values (1, 'create'), (2, 'save'), (3, 'save')) h(v, op)
"""]

COLUMNS = ("flow_id, flow_type, flow_version, current_phase, phases_completed, status, created_at, updated_at,"
           " checkpoints, metadata, client_account_id, engagement_id, user_id")
BARE_TENANT = f"""select {COLUMNS} from flowstate.flows where client_account_id = $1 and engagement_id = $2
                  order by updated_at desc, flow_id desc limit 50"""
BARE_TENANT_PHASE = f"""select {COLUMNS} from flowstate.flows where client_account_id = $1 and engagement_id = $2
                        and current_phase = 'field_mapping' order by updated_at desc, flow_id desc limit 50"""
BARE_ALL = f"select {COLUMNS} from flowstate.flows order by updated_at desc, flow_id desc limit 50"
# The same rows as one JSON array, as a bare query would build it: what JSON itself costs.
JSON_TENANT = f"select jsonb_agg(to_jsonb(f)) from ({BARE_TENANT}) f"
SEARCH = "select flowstate.flow_search($1, $2, null, 50)"


async def grow(conn, flows: int) -> None:
    step = 100_000
    for start in range(0, flows, step):
        async with conn.transaction():
            await conn.execute("set local session_replication_role = replica")
            for statement in GROW:
                await conn.execute(statement, start, min(start + step, flows))
        print(f"  {min(start + step, flows):>9} flows", file=sys.stderr, flush=True)
    await conn.execute("vacuum analyze flowstate.flows")
    await conn.execute("analyze flowstate.audit_log")


async def search(conn, rounds: int) -> dict:
    search = await conn.prepare(SEARCH)
    bare = {name: await conn.prepare(sql) for name, sql in
            (("tenant", BARE_TENANT), ("tenant_phase", BARE_TENANT_PHASE), ("all", BARE_ALL),
             ("json_tenant", JSON_TENANT))}
    samples: dict[str, list[float]] = {k: [] for k in ("tenant", "bare_tenant", "json_tenant", "tenant_phase",
                                                       "bare_tenant_phase", "all", "bare_all")}
    rng = random.Random(1)
    for _ in range(rounds):
        ctx = tenant(rng.randrange(TENANTS))
        ids = (uuid.UUID(ctx["client_account_id"]), uuid.UUID(ctx["engagement_id"]))
        page = await timed(samples["tenant"], search.fetchval({}, ctx))
        rows = await timed(samples["bare_tenant"], bare["tenant"].fetch(*ids))
        assert [d["flow_id"] for d in page["flows"]] == [str(r["flow_id"]) for r in rows]
        await timed(samples["json_tenant"], bare["json_tenant"].fetchval(*ids))
        await timed(samples["tenant_phase"], search.fetchval({"phase": "field_mapping"}, ctx))
        await timed(samples["bare_tenant_phase"], bare["tenant_phase"].fetch(*ids))
        await timed(samples["all"], search.fetchval({}, None))
        await timed(samples["bare_all"], bare["all"].fetch())
    result = {name: summary(values) for name, values in samples.items()}
    result["ratio_p50"] = {name: round(result[name]["p50_ms"] / result["bare_" + name]["p50_ms"], 2)
                           for name in ("tenant", "tenant_phase", "all")}
    result["ratio_p50"]["tenant_to_bare_json"] = round(result["tenant"]["p50_ms"] / result["json_tenant"]["p50_ms"], 2)
    return result


async def long_flows(conn, count: int, versions: int) -> list[uuid.UUID]:
    ctx = tenant(0)
    save = await conn.prepare("select flowstate.flow_save_state($1, $2, $3, $4)")
    ids = []
    for _ in range(count):
        flow_id = uuid.uuid4()
        doc = {"flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [],
               "state_data": {"rows": 0, "notes": "x" * 500}}
        for version in range(versions):
            doc["state_data"]["rows"] = version
            await save.fetchval(flow_id, doc, version or None, ctx)
        ids.append(flow_id)
    return ids


async def delete_long(conn, versions: int, count: int) -> dict:
    ours = await long_flows(conn, count, versions)
    floor = await long_flows(conn, count, versions)
    delete = await conn.prepare("select flowstate.flow_delete($1, 'benchmark', $2)")
    samples: dict[str, list[float]] = {"flow_delete": [], "bare_delete": []}
    for flow_id in ours:
        await timed(samples["flow_delete"], delete.fetchval(flow_id, tenant(0)))
    for flow_id in floor:
        async def bare() -> None:
            async with conn.transaction():
                await conn.execute("set local session_replication_role = replica")
                await conn.execute("delete from flowstate.flows where flow_id = $1", flow_id)
                await conn.execute("delete from flowstate.audit_log where flow_id = $1", flow_id)
        await timed(samples["bare_delete"], bare())
    result = {name: summary(values) for name, values in samples.items()}
    result["versions"] = versions
    result["ratio_p50"] = round(result["flow_delete"]["p50_ms"] / result["bare_delete"]["p50_ms"], 2)
    return result


async def retention(conn, batch: int) -> dict:
    await conn.execute("insert into flowstate.retention_policies (flow_type, action, after)"
                       " values ('discovery', 'delete', '30 days')")
    total, start = 0, time.perf_counter()
    while True:
        ran = await conn.fetchval("select flowstate.flow_retention_run($1, false)", batch)
        total += ran["deleted"]
        if not ran["more"]:
            break
    ours = time.perf_counter() - start

    floor_ids = [r["flow_id"] for r in await conn.fetch(
        "select flow_id from flowstate.flows where flow_type = 'crewai' and current_phase = 'completed'"
        " order by updated_at")]
    start = time.perf_counter()
    for i in range(0, len(floor_ids), batch):
        ids = floor_ids[i:i + batch]
        async with conn.transaction():
            await conn.execute("set local session_replication_role = replica")
            await conn.execute("delete from flowstate.flows where flow_id = any($1::uuid[])", ids)
            await conn.execute("delete from flowstate.audit_log where flow_id = any($1::uuid[])", ids)
    bare = time.perf_counter() - start
    return {"flows": total, "batch": batch, "seconds": round(ours, 2), "flows_per_s": round(total / ours, 1),
            "bare_flows": len(floor_ids), "bare_seconds": round(bare, 2),
            "bare_flows_per_s": round(len(floor_ids) / bare, 1),
            "ratio": round((len(floor_ids) / bare) / (total / ours), 2)}


async def plan(conn) -> list[str]:
    """The plan of a tenant's first page, as flow_search runs it (its settings, its role)."""
    async with conn.transaction():
        await conn.execute("select flowstate._context($1)", tenant(7))
        sql = await conn.fetchval("select flowstate._search_sql('{}', null, 50)")
        await conn.execute("set local role flowstate_owner")
        await conn.execute("set local enable_seqscan = off")
        await conn.execute("set local enable_bitmapscan = off")
        return [r[0] for r in await conn.fetch("explain (costs off) " + sql)]


async def run(dsn: str, flows: int, rounds: int, versions: int, long_count: int, batch: int) -> dict:
    conn = await connect(dsn)
    try:
        started = time.perf_counter()
        await grow(conn, flows)
        results: dict = {"flows": flows, "grow_seconds": round(time.perf_counter() - started, 1)}
        results["search"] = await search(conn, rounds)
        results["search_plan"] = await plan(conn)
        results["delete"] = await delete_long(conn, versions, long_count)
        results["retention"] = await retention(conn, batch)
        return results
    finally:
        await conn.close()


def print_report(r: dict) -> None:
    s = r["search"]
    print(f"{r['flows']} flows of {TENANTS} tenants (grown in {r['grow_seconds']} s)")
    print("first page of 50          flow_search p50   bare SELECT p50   ratio")
    for name, label in (("tenant", "a tenant's"), ("tenant_phase", "a tenant's, by phase"), ("all", "admin, all tenants")):
        print(f"  {label:<22} {s[name]['p50_ms']:>12.3f} ms {s['bare_' + name]['p50_ms']:>13.3f} ms {s['ratio_p50'][name]:>7.2f}x")
    print(f"  (a bare SELECT of the same rows as one JSON array: {s['json_tenant']['p50_ms']:.3f} ms;"
          f" flow_search is {s['ratio_p50']['tenant_to_bare_json']:.2f}x that)")
    print("  plan: " + " / ".join(line.strip() for line in r["search_plan"][:3]))
    d = r["delete"]
    print(f"delete a flow of {d['versions']} versions: flow_delete p50 {d['flow_delete']['p50_ms']:.1f} ms,"
          f" bare DELETE p50 {d['bare_delete']['p50_ms']:.1f} ms ({d['ratio_p50']:.2f}x)")
    t = r["retention"]
    print(f"retention: {t['flows']} flows deleted in {t['seconds']} s = {t['flows_per_s']:.0f} flows/s"
          f" (batches of {t['batch']}); bare DELETE of {t['bare_flows']} flows: {t['bare_flows_per_s']:.0f} flows/s"
          f" ({t['ratio']:.2f}x faster)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=300, help="search pages timed per kind")
    parser.add_argument("--versions", type=int, default=1000, help="versions of each flow deleted")
    parser.add_argument("--long-flows", type=int, default=5, help="flows of that length deleted (each way)")
    parser.add_argument("--batch", type=int, default=2000, help="retention batch size")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        results = asyncio.run(run(dsn, args.flows, args.rounds, args.versions, args.long_flows, args.batch))
    print(json.dumps(results, indent=2)) if args.json else print_report(results)


if __name__ == "__main__":
    main()
