"""A save through the wrapper next to the floor (bare upsert plus history row), interleaved in
one process, at 1 KB and 100 KB (the `pgflowstate bench` state: a mapping of small objects,
one key changing per save). Reports p50 and the backend's CPU per call (from /proc, so the
server must run on this machine) and their ratios to the floor: what issue 17's save targets
are measured by, without the rest of the bench. With --baseline DIR (a db/ folder of another
revision, e.g. from `git archive main db | tar -x -C /tmp/base`), saves to a second database
built from it join the same interleaved rounds: a before/after comparison in one run.

    PYTHONPATH=python python benchmarks/bench_save_path.py [--dsn DSN] [--rounds 20] [--calls 50] [--baseline DIR]
"""

from __future__ import annotations

import asyncio
import json
import uuid


from common import against_floor, baseline_database, bench_database, measured_pool, path_arguments

from pgflowstate.cli.bench import FLOOR_DDL, FLOOR_SAVE, SIZES, state_data, step
from pgflowstate.models import RequestContext
from pgflowstate.store import FlowStateStore

async def measure(dsn: str, baseline_dsn: str | None, size: int, rounds: int, calls: int) -> dict:
    data = state_data(size)

    def document(flow_id: uuid.UUID, i: int) -> dict:
        return {"flow_id": str(flow_id), "current_phase": "field_mapping", "phases_completed": ["data_import"],
                "state_data": step(data, i)}

    closers, pids = [], {}
    try:
        floor_pool = await measured_pool(dsn, "floor", pids, closers)
        await floor_pool.execute(FLOOR_DDL)
        floor_id = uuid.uuid4()

        async def floor(i: int) -> None:
            await floor_pool.execute(FLOOR_SAVE, floor_id, document(floor_id, i))

        async def saver(name: str, database: str):
            pool = await measured_pool(database, name, pids, closers)
            store = FlowStateStore(pool, RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(),
                                                        user_id=uuid.uuid4()))
            flow_id = uuid.uuid4()
            version = (await store.save_state(flow_id, document(flow_id, 0))).flow_version

            async def save(i: int) -> None:
                nonlocal version
                version = (await store.save_state(flow_id, document(flow_id, i), version=version)).flow_version
            return save

        return await against_floor(floor, saver, "save", dsn, baseline_dsn, pids, rounds, calls)
    finally:
        for close in reversed(closers):
            await close()


async def main(dsn: str, baseline_dsn: str | None, rounds: int, calls: int) -> dict:
    return {label: await measure(dsn, baseline_dsn, size, rounds, calls) for label, size in SIZES.items()}


if __name__ == "__main__":
    parser = path_arguments(__doc__)
    args = parser.parse_args()
    with bench_database(args.dsn) as database, baseline_database(database, args.baseline) as baseline:
        print(json.dumps(asyncio.run(main(database, baseline, args.rounds, args.calls)), indent=1))
