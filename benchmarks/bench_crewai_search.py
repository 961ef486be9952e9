"""One CrewAI class's unfinished flows among many finished ones, through flow_search.

    python benchmarks/bench_crewai_search.py [--dsn DSN] [--flows 200000] [--json]

The store is grown in SQL: --flows CrewAI flows of 10 tenants and 4 classes, 1 in 50
unfinished (metadata.crewai_finished false), the rest finished. Then, in one connection, a
tenant's first page (50) of flow_search with {"crewai_class": ..., "crewai_finished": false},
p50 over rounds, with the partial index flows_crewai_unfinished_idx, without it (dropped in a
transaction that is rolled back) and with it again; and the tenant's unfiltered first page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database, connect, summary, timed  # noqa: E402

TENANTS = 10
GROW = """
insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version,
                             current_phase, phases_completed, status, state_data, metadata, external_id,
                             created_at, updated_at)
select md5('flow' || i)::uuid, 'crewai',
       ('00000000-0000-4000-a000-' || lpad((i % 10)::text, 12, '0'))::uuid,
       ('00000000-0000-4000-b000-' || lpad((i % 10)::text, 12, '0'))::uuid,
       '8c3f5e7a-2b4d-4f6c-ae3a-5d7f9b1c3e4a', 5, 'finish', '{begin,classify,handle}', 'running',
       jsonb_build_object('id', 'run-' || i, 'steps', jsonb_build_array('begin', 'classify', 'handle', 'finish')),
       jsonb_build_object('crewai_class', (array['ReportFlow', 'PipelineFlow', 'ReviewFlow', 'SyncFlow'])[1 + i / 10 % 4],
                          'crewai_finished', i % 500 >= 10),
       'run-' || i, now() - i * interval '2 seconds', now() - i * interval '1 second'
  from generate_series(1, $1) i
"""
CONTEXT = ({"client_account_id": "00000000-0000-4000-a000-000000000003",
                      "engagement_id": "00000000-0000-4000-b000-000000000003",
                      "user_id": "8c3f5e7a-2b4d-4f6c-ae3a-5d7f9b1c3e4a"})
UNFINISHED = {"metadata": {"crewai_class": "ReportFlow", "crewai_finished": False}}  # the jsonb codec encodes
SEARCH = "select jsonb_array_length(flowstate.flow_search($1::jsonb, $2::jsonb) -> 'flows')"


async def page(conn, search_filter: dict, rounds: int) -> tuple[dict, int]:
    samples: list[float] = []
    for _ in range(rounds):
        found = await timed(samples, conn.fetchval(SEARCH, search_filter, CONTEXT))
    return summary(samples), found


async def run(dsn: str, flows: int, rounds: int) -> dict:
    conn = await connect(dsn)
    try:
        await conn.execute("set session_replication_role = replica")  # bulk load: no audit triggers
        await conn.execute(GROW, flows)
        await conn.execute("set session_replication_role = origin")
        await conn.execute("vacuum analyze flowstate.flows")
        result = {"flows": flows}
        result["unfinished_with_index"], found = await page(conn, UNFINISHED, rounds)
        without = conn.transaction()  # rolled back: the index is back afterwards
        await without.start()
        await conn.execute("drop index flowstate.flows_crewai_unfinished_idx")
        result["unfinished_without_index"], found_without = await page(conn, UNFINISHED, rounds)
        await without.rollback()
        result["unfinished_with_index_again"], _ = await page(conn, UNFINISHED, rounds)
        result["unfiltered_first_page"], _ = await page(conn, {}, rounds)
        result["unfinished_found"] = (found, found_without)
        result["ratio_without_over_with"] = round(
            result["unfinished_without_index"]["p50_ms"] / result["unfinished_with_index"]["p50_ms"], 1)
        return result
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--flows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        result = asyncio.run(run(dsn, args.flows, args.rounds))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
