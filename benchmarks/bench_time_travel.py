"""Time travel when every version changes a different key: flow_state_at against depth and a load.

    python benchmarks/bench_time_travel.py [--dsn DSN] [--versions 1000] [--repeats 30] [--json]

A 100 KB mapping state of ~850 small objects; each save changes one nested key of a different
object (record_i.n), so the change records since a snapshot touch up to 100 distinct paths
(bench_audit.py changes the same key every time, which the net-change rule makes free).
flow_state_at at the oldest, middle and newest versions of a flow with --versions versions and
of one with 10 versions, next to flow_load_state of the deep flow; the calls are interleaved so
a noisy machine slows them alike. Targets (issue 17): deep within 2x of 10 versions, and
within 5x of a load.
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
from bench_audit import CONTEXT, create  # noqa: E402
from common import bench_database, connect, summary, timed  # noqa: E402

# Saves server-side in one call; save i changes record (i mod objects).n, a nested key.
GROW = """
do $$
declare
  v_id uuid := '%(flow_id)s';
  v_ctx jsonb := '%(context)s';
  v_doc jsonb := flowstate.flow_load_state(v_id, v_ctx);
  v_version bigint := (v_doc ->> 'flow_version')::bigint;
  v_key text;
begin
  for i in 1 .. %(saves)s loop
    v_key := format('record_%%s', lpad(((v_version + i) %% %(objects)s)::text, 6, '0'));
    v_doc := jsonb_set(v_doc, array['state_data', 'records', v_key, 'n'], to_jsonb(v_version + i));
    perform flowstate.flow_save_state(v_id, v_doc, v_version + i - 1, v_ctx);
  end loop;
end $$;
"""


def mapping_state(objects: int) -> dict:
    """~120 bytes an object, random hex so the stored size is honest."""
    return {"records": {f"record_{i:06d}": {"payload": os.urandom(40).hex(), "n": 0, "tag": "t"} for i in range(objects)}}


async def make(conn, versions: int, objects: int) -> uuid.UUID:
    flow_id = await create(conn, mapping_state(objects))
    sql = GROW % {"flow_id": flow_id, "context": json.dumps(CONTEXT), "saves": versions - 1, "objects": objects}
    await conn.execute(sql)
    return flow_id


async def run(dsn: str, versions: int, repeats: int, objects: int) -> dict:
    conn = await connect(dsn)
    try:
        shallow = await make(conn, 10, objects)
        deep = await make(conn, versions, objects)
        size = await conn.fetchval("select octet_length(state_data::text) from flowstate.flows where flow_id = $1", deep)
        at = await conn.prepare("select flowstate.flow_state_at($1, $2, $3)")
        load = await conn.prepare("select flowstate.flow_load_state($1, $2)")
        calls = {"load (deep)": lambda: load.fetchval(deep, CONTEXT)}
        for label, flow_id, count in (("10 versions", shallow, 10), (f"{versions} versions", deep, versions)):
            for where, version in (("oldest", 1), ("middle", count // 2), ("newest", count)):
                calls[f"{label} {where}"] = (lambda f=flow_id, v=version: at.fetchval(f, v, CONTEXT))
        samples = {name: [] for name in calls}
        for _ in range(repeats):
            for name, call in calls.items():
                await timed(samples[name], call())
        results = {"state_bytes": size, "versions": versions,
                   "p50_ms": {name: summary(s)["p50_ms"] for name, s in samples.items()}}
        p50 = results["p50_ms"]
        results["deep_to_10_versions"] = {
            w: round(p50[f"{versions} versions {w}"] / p50[f"10 versions {w}"], 2) for w in ("oldest", "middle", "newest")}
        results["deep_to_load"] = {
            w: round(p50[f"{versions} versions {w}"] / p50["load (deep)"], 2) for w in ("oldest", "middle", "newest")}
        return results
    finally:
        await conn.close()


def print_report(r: dict) -> None:
    print(f"flow_state_at, {r['state_bytes']} byte mapping state, each version changing a different key (p50 ms):")
    for name, ms in r["p50_ms"].items():
        print(f"  {name:<24}{ms:>10.3f}")
    print("  deep / 10 versions: " + ", ".join(f"{w} {x}x" for w, x in r["deep_to_10_versions"].items()))
    print("  deep / load:        " + ", ".join(f"{w} {x}x" for w, x in r["deep_to_load"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--objects", type=int, default=850, help="objects in the state (~120 bytes each)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        results = asyncio.run(run(dsn, args.versions, args.repeats, args.objects))
    print(json.dumps(results, indent=2)) if args.json else print_report(results)


if __name__ == "__main__":
    main()
