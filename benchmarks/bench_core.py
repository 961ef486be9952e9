"""Latency of flow_save_state / flow_load_state next to floors measured in the same run.

Floors: a bare single-statement upsert of the same JSONB row plus an appended history row
(jsonb columns with lz4, full copy in history, no validation), and a bare prepared SELECT of
the document. Ratios matter, not absolute times: the machines are shared and noisy, so the
candidates run in interleaved rounds.

    python benchmarks/bench_core.py [--dsn DSN] [--iterations 400] [--json]

Without --dsn or DATABASE_URL it starts a throwaway durable cluster (fsync on).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database, connect, summary, timed  # noqa: E402

FLOOR_DDL = """
create table bench_floor (flow_id uuid primary key, version bigint not null, doc jsonb not null);
alter table bench_floor alter column doc set compression lz4;
create table bench_floor_history (flow_id uuid not null, version bigint not null, doc jsonb not null,
                                  primary key (flow_id, version));
alter table bench_floor_history alter column doc set compression lz4;
"""
FLOOR_SAVE = """
with u as (
  insert into bench_floor as f (flow_id, version, doc) values ($1, 1, $2)
  on conflict (flow_id) do update set version = f.version + 1, doc = excluded.doc
  returning version)
insert into bench_floor_history (flow_id, version, doc) select $1, u.version, $2 from u
"""
FLOOR_LOAD = "select doc from bench_floor where flow_id = $1"
SAVE = ("select flowstate.flow_save_state(p_flow_id => $1, p_state => $2,"
        " p_expected_version => $3, p_context => $4)")
LOAD = "select flowstate.flow_load_state(p_flow_id => $1, p_context => $2)"


def state_data(target_bytes: int) -> dict:
    """A discovery-like state of about target_bytes of JSON."""
    mappings, scores, i = {}, {}, 0
    while len(orjson.dumps({"mappings": mappings, "scores": scores})) < target_bytes - 60:
        mappings[f"source_field_{i}"] = f"target.table_{i % 17}.column_{i}"
        scores[f"source_field_{i}"] = round((i * 37 % 100) / 100, 2)
        i += 1
    return {"field_mapping": {"mappings": mappings, "confidence_scores": scores}, "iteration": 0}


async def bench_size(conn: asyncpg.Connection, size: int, iterations: int, rounds: int) -> dict:
    data = state_data(size)
    context = {"client_account_id": str(uuid.uuid4()), "engagement_id": str(uuid.uuid4()),
               "user_id": str(uuid.uuid4())}
    flow_id, floor_id = uuid.uuid4(), uuid.uuid4()
    doc = {"flow_id": str(flow_id), "current_phase": "field_mapping",
           "phases_completed": ["data_import"], "state_data": data}
    floor_save, floor_load = await conn.prepare(FLOOR_SAVE), await conn.prepare(FLOOR_LOAD)
    save, load = await conn.prepare(SAVE), await conn.prepare(LOAD)
    version = (await save.fetchval(flow_id, doc, None, context))["flow_version"]
    await floor_save.fetch(floor_id, doc)

    samples = {"floor_save": [], "save": [], "floor_load": [], "load": []}
    per_round = max(1, iterations // rounds)
    for _ in range(rounds):  # interleaved, so noise hits every candidate alike
        for _ in range(per_round):
            data["iteration"] += 1
            await timed(samples["floor_save"], floor_save.fetch(floor_id, doc))
        for _ in range(per_round):
            data["iteration"] += 1
            start = time.perf_counter()
            version = (await save.fetchval(flow_id, doc, version, context))["flow_version"]
            samples["save"].append(time.perf_counter() - start)
        for _ in range(per_round):
            await timed(samples["floor_load"], floor_load.fetchval(floor_id))
        for _ in range(per_round):
            await timed(samples["load"], load.fetchval(flow_id, context))

    result = {name: summary(values) for name, values in samples.items()}
    result["save"]["ratio_to_floor"] = round(result["save"]["p50_ms"] / result["floor_save"]["p50_ms"], 2)
    result["load"]["ratio_to_floor"] = round(result["load"]["p50_ms"] / result["floor_load"]["p50_ms"], 2)
    result["document_bytes"] = len(orjson.dumps(doc))
    return result


async def run(dsn: str, iterations: int, rounds: int) -> dict:
    conn = await connect(dsn)
    try:
        await conn.execute(FLOOR_DDL)
        results = {}
        for label, size in (("1KB", 1024), ("100KB", 100 * 1024)):
            results[label] = await bench_size(conn, size, iterations, rounds)
        return results
    finally:
        await conn.close()


def print_table(results: dict) -> None:
    print(f"{'size':<7}{'operation':<12}{'p50 ms':>9}{'p95 ms':>9}{'ops/s':>9}{'x floor':>9}")
    for label, by_op in results.items():
        for op in ("floor_save", "save", "floor_load", "load"):
            r = by_op[op]
            ratio = f"{r['ratio_to_floor']:.2f}" if "ratio_to_floor" in r else ""
            print(f"{label:<7}{op:<12}{r['p50_ms']:>9.3f}{r['p95_ms']:>9.3f}{r['ops_s']:>9.0f}{ratio:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        results = asyncio.run(run(dsn, args.iterations, args.rounds))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
