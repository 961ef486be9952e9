"""A CrewAI step as the backend sends it (flowstate.flow_record_step: a new phase, the method's
name, and a ~2 KB state), next to the floor (bare upsert plus history row), interleaved in one
process. Reports p50 and the backend's CPU per call (from /proc, so the server must run on this
machine): the server's share of a persisted CrewAI step, which is what 20 concurrent flows on
2 cores wait for (issue 14). With --baseline DIR (a db/ folder of another revision, e.g. from
`git archive main db | tar -x -C /tmp/base`), steps on a second database built from it join the
same interleaved rounds: a before/after comparison in one run. With --text-id the CrewAI id is
not a UUID (``run-42-...``), which the database maps with a SHA-1 in PL/pgSQL: steps as the
backend sends them (the flow id it was given, after the first) run beside ``step_mapped``,
which has the id mapped on every step.

    PYTHONPATH=python python benchmarks/bench_step_path.py [--dsn DSN] [--rounds 20] [--calls 50] [--baseline DIR] [--text-id]
"""

from __future__ import annotations

import asyncio
import json
import uuid

from common import baseline_database, bench_database, interleaved, measured_pool, path_arguments, ratios_to_floor

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


async def measure(dsn: str, baseline_dsn: str | None, rounds: int, calls: int, text_id: bool = False) -> dict:
    closers, pids = [], {}
    try:
        floor_pool = await measured_pool(dsn, "floor", pids, closers)
        await floor_pool.execute(FLOOR_DDL)
        floor_id = uuid.uuid4()

        async def floor(i: int) -> None:
            await floor_pool.execute(FLOOR_SAVE, floor_id, state(i))

        def stepper(map_each_step: bool):
            async def make(name: str, database: str):
                pool = await measured_pool(database, name, pids, closers)
                context = encode_json({"client_account_id": str(uuid.uuid4()), "engagement_id": str(uuid.uuid4()),
                                       "user_id": str(uuid.uuid4())})
                crewai_id = f"run-42-{uuid.uuid4().hex}" if text_id else str(uuid.uuid4())
                metadata = encode_json({"crewai_class": "ArticleFlow", "crewai_finished": False})
                version, flow_id = 0, None

                async def step(i: int) -> None:
                    nonlocal version, flow_id
                    method = METHODS[i % len(METHODS)]
                    row = await pool.fetchrow(_RECORD_STEP, crewai_id, context, method, encode_json(state(i)),
                                              method, version, "crewai", None, uuid.uuid4(), metadata, flow_id)
                    version = int(row[0])
                    flow_id = None if map_each_step else row[1]
                await step(0)
                return step
            return make

        ops = {"floor": floor, "step": await stepper(False)("step", dsn)}
        if text_id:
            ops["step_mapped"] = await stepper(True)("step_mapped", dsn)
        if baseline_dsn:
            ops["step_baseline"] = await stepper(False)("step_baseline", baseline_dsn)
        result = await interleaved(ops, pids, rounds, calls)
        result["ratio_to_floor"] = ratios_to_floor(result)
        return result
    finally:
        for close in reversed(closers):
            await close()


if __name__ == "__main__":
    parser = path_arguments(__doc__)
    parser.add_argument("--text-id", action="store_true", help="a CrewAI id that is not a UUID")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn, baseline_database(dsn, args.baseline) as baseline_dsn:
        print(json.dumps(asyncio.run(measure(dsn, baseline_dsn, args.rounds, args.calls, args.text_id)), indent=1))
