"""Audit trail costs: storage per small change of a large state, and time travel at depth.

    python benchmarks/bench_audit.py [--dsn DSN] [--versions 5000] [--json]

1. Audit bytes per small change on a 1 MB state: 200 saves that each change one small key,
   all audit rows counted (change rows and the snapshots amortised over them).
2. flow_state_at at the oldest, middle and newest versions of a flow with --versions
   versions, next to a flow with 10 versions (a 20 KB state, so changes are stored as
   diffs and rebuilt from snapshots). Ratios near 1 mean the cost does not grow with history.
Save latency against the floor with the audit trigger on is `pgflowstate bench`'s job
(benchmarks/bench.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database, connect, summary, timed  # noqa: E402

CONTEXT = {"client_account_id": str(uuid.uuid4()), "engagement_id": str(uuid.uuid4()),
           "user_id": str(uuid.uuid4())}

# Many saves server-side in one call: loading history through the client would only measure
# round trips. Each save changes one small key, as a flow step usually does.
GROW = """
do $$
declare
  v_id uuid := %(flow_id)L;
  v_ctx jsonb := %(context)L;
  v_doc jsonb;
  v_version bigint;
begin
  v_doc := flowstate.flow_load_state(v_id, v_ctx);
  v_version := (v_doc ->> 'flow_version')::bigint;
  for i in 1 .. %(saves)s loop
    v_doc := jsonb_set(v_doc, '{state_data,progress}', jsonb_build_object('step', v_version + i, 'note', 'small change'));
    perform flowstate.flow_save_state(v_id, v_doc, v_version + i - 1, v_ctx);
  end loop;
end $$;
"""


def big_state(target_bytes: int) -> dict:
    """Random hex payloads: they compress about as badly as real data, so the stored size is
    honest (a repeated string would compress to almost nothing)."""
    count = target_bytes // 200
    return {"records": {f"record_{i:06d}": {"payload": os.urandom(80).hex(), "n": i} for i in range(count)},
            "progress": {"step": 0}}


async def create(conn, state: dict) -> uuid.UUID:
    flow_id = uuid.uuid4()
    await conn.fetchval("select flowstate.flow_save_state($1, $2, null, $3)", flow_id,
                        {"flow_id": str(flow_id), "current_phase": "data_import",
                         "phases_completed": [], "state_data": state}, CONTEXT)
    return flow_id


async def grow(conn, flow_id: uuid.UUID, saves: int) -> None:
    sql = GROW.replace("%(flow_id)L", f"'{flow_id}'").replace("%(context)L", f"'{json.dumps(CONTEXT)}'")
    await conn.execute(sql.replace("%(saves)s", str(saves)))


async def audit_bytes(conn, flow_id: uuid.UUID) -> tuple[int, int]:
    return tuple(await conn.fetchrow(
        "select count(*), coalesce(sum(coalesce(pg_column_size(changes), 0) + coalesce(pg_column_size(snapshot), 0)), 0)"
        " from flowstate.audit_log where flow_id = $1", flow_id))


async def storage(conn) -> dict:
    flow_id = await create(conn, big_state(1024 * 1024))
    rows_before, bytes_before = await audit_bytes(conn, flow_id)
    saves = 200
    await grow(conn, flow_id, saves)
    rows_after, bytes_after = await audit_bytes(conn, flow_id)
    state_bytes = await conn.fetchval("select pg_column_size(state_data) from flowstate.flows where flow_id = $1", flow_id)
    per_change = (bytes_after - bytes_before) / saves
    return {"state_bytes_stored": state_bytes, "saves": saves, "audit_rows": rows_after - rows_before,
            "audit_bytes_per_change": round(per_change), "ratio_to_state": round(per_change / state_bytes, 4)}


async def time_travel(conn, versions: int, repeats: int) -> dict:
    results = {}
    for label, count in (("10 versions", 10), (f"{versions} versions", versions)):
        flow_id = await create(conn, big_state(20 * 1024))
        await grow(conn, flow_id, count - 1)
        at = await conn.prepare("select flowstate.flow_state_at($1, $2, $3)")
        row = {}
        for where, version in (("oldest", 1), ("middle", count // 2), ("newest", count)):
            samples = []
            for _ in range(repeats):
                document = await timed(samples, at.fetchval(flow_id, version, CONTEXT))
            assert document["flow_version"] == version
            row[where] = summary(samples)
        results[label] = row
    deep, shallow = results[f"{versions} versions"], results["10 versions"]
    results["ratio_deep_to_shallow_p50"] = {
        where: round(deep[where]["p50_ms"] / shallow[where]["p50_ms"], 2) for where in ("oldest", "middle", "newest")}
    return results


async def run(dsn: str, versions: int, repeats: int) -> dict:
    conn = await connect(dsn)
    try:
        return {"storage_1mb_state": await storage(conn),
                "flow_state_at": await time_travel(conn, versions, repeats)}
    finally:
        await conn.close()


def print_report(results: dict) -> None:
    s = results["storage_1mb_state"]
    print(f"audit storage, 1 MB state ({s['state_bytes_stored']} bytes stored), {s['saves']} small changes:")
    print(f"  {s['audit_bytes_per_change']} bytes of audit per change (snapshots included), "
          f"{s['ratio_to_state']:.2%} of the stored state, {s['audit_rows']} rows")
    t = results["flow_state_at"]
    print("flow_state_at p50 ms (20 KB state):")
    print(f"  {'history':<16}{'oldest':>10}{'middle':>10}{'newest':>10}")
    for label, row in t.items():
        if label.startswith("ratio"):
            continue
        print(f"  {label:<16}" + "".join(f"{row[w]['p50_ms']:>10.3f}" for w in ("oldest", "middle", "newest")))
    r = t["ratio_deep_to_shallow_p50"]
    print(f"  {'ratio':<16}" + "".join(f"{r[w]:>10.2f}" for w in ("oldest", "middle", "newest")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--versions", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        results = asyncio.run(run(dsn, args.versions, args.repeats))
    print(json.dumps(results, indent=2)) if args.json else print_report(results)


if __name__ == "__main__":
    main()
