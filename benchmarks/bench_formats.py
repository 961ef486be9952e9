"""What JSONB costs next to LangGraph's format: the bench's floor in jsonb and in msgpack bytea.

`pgflowstate bench` compares our save and load with LangGraph's aput and aget_tuple, which
keep a state as msgpack in a bytea column. This runs, in interleaved rounds on one server at
1 KB and 100 KB: the bench's floors (a bare upsert plus history row, a bare SELECT, of jsonb),
the same floors with the same state as msgpack bytea (packed and unpacked by the client, as
LangGraph does), LangGraph's aput and aget_tuple, and our save and load. It prints each p50 as a
multiple of the JSONB floor, and there too where a store 1.2x faster than LangGraph would have to
be (target_<peer>): below 1, no store that keeps its state as JSONB reaches it, however little
it does besides.

    python benchmarks/bench_formats.py [--dsn SERVER_DSN] [--rounds 20] [--calls 20]

Needs langgraph-checkpoint-postgres (the `bench` extra), which brings ormsgpack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database  # noqa: E402

import ormsgpack  # noqa: E402

from pgflowstate.cli import bench  # noqa: E402
from pgflowstate.pool import create_pool  # noqa: E402

BYTEA_DDL = """
create table public.bytea_floor (flow_id uuid primary key, version bigint not null, doc bytea not null);
create table public.bytea_floor_history (flow_id uuid not null, version bigint not null, doc bytea not null,
                                         primary key (flow_id, version));
do $$ begin  -- as the jsonb floor: lz4 where the server has it
  alter table public.bytea_floor alter column doc set compression lz4;
  alter table public.bytea_floor_history alter column doc set compression lz4;
exception when feature_not_supported then null;
end $$;
"""
BYTEA_SAVE = bench.FLOOR_SAVE.replace("bench_floor", "bytea_floor")
BYTEA_LOAD = bench.FLOOR_LOAD.replace("bench_floor", "bytea_floor")
BYTEA_DROP = "drop table if exists public.bytea_floor, public.bytea_floor_history"

# Each: the JSONB floor, the same floor in msgpack bytea, the peer, ours.
SAVES = ("floor_save", "bytea_floor_save", "langgraph_aput", "save")
LOADS = ("floor_load", "bytea_floor_load", "langgraph_aget_tuple", "load")


async def measure(dsn: str, size: int, rounds: int, calls: int) -> dict[str, float]:
    """p50 ms of every operation of SAVES and LOADS at ``size``, interleaved."""
    candidates = bench.Candidates(dsn, size)
    await candidates.open()
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        if "langgraph_aput" not in candidates.ops:
            raise SystemExit("langgraph-checkpoint-postgres is not installed (pip install -e '.[bench]')")
        await pool.execute(BYTEA_DDL)
        flow_id = uuid.uuid4()
        ops = dict(candidates.ops)
        ops["bytea_floor_save"] = lambda i: pool.execute(
            BYTEA_SAVE, flow_id, ormsgpack.packb({"flow_id": str(flow_id), "state_data": bench.step(candidates.data, i)}))

        async def bytea_floor_load(i: int) -> object:
            return ormsgpack.unpackb(await pool.fetchval(BYTEA_LOAD, flow_id))

        await ops["bytea_floor_save"](0)
        ops["bytea_floor_load"] = bytea_floor_load
        compared = {name: ops[name] for name in SAVES + LOADS}
        await bench.in_rounds(compared, calls, 1)  # warm-up
        summaries = await bench.in_rounds(compared, rounds * calls, rounds)
        return {name: summary["p50_ms"] for name, summary in summaries.items()}
    finally:
        await pool.execute(BYTEA_DROP)
        await pool.close()
        await candidates.close()


def ratios(p50: dict[str, float]) -> dict[str, float]:
    """Every operation as a multiple of its JSONB floor, and where a store 1.2x faster than the
    peer would have to be ("target_<peer>")."""
    result = {}
    for floor, bytea, peer, ours in (SAVES, LOADS):
        for name in (floor, bytea, peer, ours):
            result[name] = round(p50[name] / p50[floor], 2)
        result[f"target_{peer}"] = round(p50[peer] / 1.2 / p50[floor], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="server to create the benchmark database on (default: a throwaway durable cluster)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    with bench_database(args.dsn) as dsn:
        for label, size in bench.SIZES.items():
            p50 = asyncio.run(measure(dsn, size, args.rounds, args.calls))
            results[label] = {"p50_ms": p50, "x_jsonb_floor": ratios(p50)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("size   operation                    p50 ms  x jsonb floor")
    for label, result in results.items():
        for name, ratio in result["x_jsonb_floor"].items():
            ms = result["p50_ms"].get(name)
            shown = f"{ms:7.3f}" if ms is not None else "       "
            print(f"{label:6} {name:27} {shown}  {ratio:5.2f}")


if __name__ == "__main__":
    main()
