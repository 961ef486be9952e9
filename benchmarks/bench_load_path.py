"""A load through the wrapper next to the floor (a bare prepared select of the jsonb row through
a pool with the wrapper's codecs) and LangGraph's AsyncPostgresSaver.aget_tuple, interleaved in
one process, at 1 KB and 100 KB (the `pgflowstate bench` state: a mapping of small objects).
Reports p50, the backend's CPU per call (from /proc, so the server must run on this machine) and
this process's (the client's: asyncpg, the wrapper, psycopg for LangGraph),
ours to the floor and aget_tuple to ours (above 1: we are faster): what issue 17's load targets
are measured by, without the rest of the bench. `parts` is flow_load_state_parts' statement on
the same pool without the wrapper around it (what the wrapper adds on the client). With
--baseline DIR (a db/ folder of another revision, e.g. from `git archive main db | tar -x -C
/tmp/base`), loads from a second database built from it join the same interleaved rounds: a
before/after comparison of the SQL side in one run.

    PYTHONPATH=python python benchmarks/bench_load_path.py [--dsn DSN] [--rounds 20] [--calls 50] [--baseline DIR] [--aputs 200]
"""

from __future__ import annotations

import asyncio
import json
import uuid

from common import baseline_database, bench_database, interleaved, measured_pool, path_arguments

from pgflowstate.cli.bench import FLOOR_DDL, FLOOR_LOAD, FLOOR_SAVE, SIZES, state_data, step
from pgflowstate.codec import encode_json
from pgflowstate.models import RequestContext
from pgflowstate.store import _LOAD, FlowStateStore


async def measure(dsn: str, baseline_dsn: str | None, size: int, rounds: int, calls: int, aputs: int) -> dict:
    data = step(state_data(size), 1)
    closers = []
    ops, pids = {}, {}
    try:
        floor_pool = await measured_pool(dsn, "floor", pids, closers)
        await floor_pool.execute(FLOOR_DDL)
        floor_id = uuid.uuid4()
        await floor_pool.execute(FLOOR_SAVE, floor_id, {"flow_id": str(floor_id), "state_data": data})
        ops["floor"] = lambda: floor_pool.fetchval(FLOOR_LOAD, floor_id)

        async def loader(name: str, database: str) -> None:
            pool = await measured_pool(database, name, pids, closers)
            store = FlowStateStore(pool, RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(),
                                                        user_id=uuid.uuid4()))
            flow_id = uuid.uuid4()
            await store.save_state(flow_id, {"flow_id": str(flow_id), "current_phase": "field_mapping",
                                             "phases_completed": ["data_import"], "state_data": data})
            ops[name] = lambda: store.load_state(flow_id)
            if name == "load":
                context = encode_json(store.context.jsonb())
                ops["parts"] = lambda: pool.fetchrow(_LOAD, flow_id, context)
                pids["parts"] = pids[name]

        await loader("load", dsn)
        if baseline_dsn:
            await loader("load_baseline", baseline_dsn)
        await langgraph(dsn, data, aputs, ops, pids, closers)

        result = await interleaved({name: lambda i, op=op: op() for name, op in ops.items()}, pids, rounds, calls)
        floor = result["floor"]
        for name in ops:
            if name not in ("floor", "aget_tuple"):
                result[name]["p50_to_floor"] = round(result[name]["p50_ms"] / floor["p50_ms"], 2)
                if "aget_tuple" in result:
                    result[name]["aget_tuple_to_this"] = round(result["aget_tuple"]["p50_ms"] / result[name]["p50_ms"], 2)
        return result
    finally:
        for close in reversed(closers):
            await close()


async def langgraph(dsn: str, data: dict, aputs: int, ops: dict, pids: dict, closers: list) -> None:
    try:  # as `pgflowstate bench`: skipped when langgraph-checkpoint-postgres is not installed
        from langgraph.checkpoint.base import empty_checkpoint
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError:
        return
    context = AsyncPostgresSaver.from_conn_string(dsn)
    saver = await context.__aenter__()
    closers.append(lambda: context.__aexit__(None, None, None))
    await saver.setup()
    config = {"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}
    # A thread of `aputs` checkpoints: aget_tuple slows as its thread grows (at 1 KB, 0.85 ms after
    # one aput, 3 ms after 400), and `pgflowstate bench` times it while its thread grows to 400
    # (one aput per iteration), so its p50 is about that of a thread of 200.
    for i in range(1, aputs + 1):
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"state": data}
        checkpoint["channel_versions"] = {"state": i + 1}
        await saver.aput(config, checkpoint, {"source": "loop", "step": i}, {"state": i + 1})
    pids["aget_tuple"] = saver.conn.info.backend_pid
    ops["aget_tuple"] = lambda: saver.aget_tuple(config)


async def main(dsn: str, baseline_dsn: str | None, rounds: int, calls: int, aputs: int) -> dict:
    return {label: await measure(dsn, baseline_dsn, size, rounds, calls, aputs) for label, size in SIZES.items()}


if __name__ == "__main__":
    parser = path_arguments(__doc__)
    parser.add_argument("--aputs", type=int, default=200,
                        help="checkpoints in LangGraph's thread when aget_tuple is timed (200: the middle of `pgflowstate bench`'s run)")
    args = parser.parse_args()
    with bench_database(args.dsn) as database, baseline_database(database, args.baseline) as baseline:
        print(json.dumps(asyncio.run(main(database, baseline, args.rounds, args.calls, args.aputs)), indent=1))
