"""A CrewAI step as the backend sends it (flowstate.flow_record_step: a new phase, the method's
name, and a ~2 KB state), next to the floor (bare upsert plus history row), interleaved in one
process. Reports p50 and the backend's CPU per call (from /proc, so the server must run on this
machine): the server's share of a persisted CrewAI step, which is what 20 concurrent flows on
2 cores wait for (issue 14). With --baseline DIR (a db/ folder of another revision, e.g. from
`git archive main db | tar -x -C /tmp/base`), steps on a second database built from it join the
same interleaved rounds: a before/after comparison in one run.

    PYTHONPATH=python python benchmarks/bench_step_path.py [--dsn DSN] [--rounds 20] [--calls 50] [--baseline DIR]
"""

from __future__ import annotations

import asyncio
import json
import uuid

from common import against_floor, baseline_database, bench_database, measured_pool, path_arguments

from pgflowstate.cli.bench import FLOOR_DDL, FLOOR_SAVE
from pgflowstate.codec import encode_json
from pgflowstate.crewai.persistence import _RECORD_STEP

METHODS = ("plan", "research", "make_outline", "write", "review")


def state(i: int) -> dict:
    """The state bench_crewai_concurrency's flow holds after its write step (about 2 KB)."""
    notes = [f"note {n} on topic {i}" for n in range(20)]
    outline = [f"section {n}" for n in range(8)]
    return {"id": str(uuid.uuid4()), "topic": f"topic {i}", "notes": notes, "outline": outline,
            "draft": " ".join(outline + notes) * 4, "score": i / 1000}


async def measure(dsn: str, baseline_dsn: str | None, rounds: int, calls: int) -> dict:
    closers, pids = [], {}
    try:
        floor_pool = await measured_pool(dsn, "floor", pids, closers)
        await floor_pool.execute(FLOOR_DDL)
        floor_id = uuid.uuid4()

        async def floor(i: int) -> None:
            await floor_pool.execute(FLOOR_SAVE, floor_id, state(i))

        async def stepper(name: str, database: str):
            pool = await measured_pool(database, name, pids, closers)
            context = encode_json({"client_account_id": str(uuid.uuid4()), "engagement_id": str(uuid.uuid4()),
                                   "user_id": str(uuid.uuid4())})
            crewai_id = str(uuid.uuid4())
            metadata = encode_json({"crewai_class": "ArticleFlow", "crewai_finished": False})
            version = 0

            async def step(i: int) -> None:
                nonlocal version
                method = METHODS[i % len(METHODS)]
                version = int(await pool.fetchval(_RECORD_STEP, crewai_id, context, method, encode_json(state(i)),
                                                  method, version, "crewai", None, uuid.uuid4(), metadata))
            await step(0)
            return step

        return await against_floor(floor, stepper, "step", dsn, baseline_dsn, pids, rounds, calls)
    finally:
        for close in reversed(closers):
            await close()


if __name__ == "__main__":
    parser = path_arguments(__doc__)
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn, baseline_database(dsn, args.baseline) as baseline_dsn:
        print(json.dumps(asyncio.run(measure(dsn, baseline_dsn, args.rounds, args.calls)), indent=1))
