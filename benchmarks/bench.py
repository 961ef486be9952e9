"""`pgflowstate bench` on a fresh database: our operations next to floors and peers.

    python benchmarks/bench.py [--dsn SERVER_DSN] [--iterations 400] [--json]

Without --dsn or DATABASE_URL it starts a throwaway durable cluster (fsync on). LangGraph's
and CrewAI's rows appear when langgraph-checkpoint-postgres and crewai are installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database  # noqa: E402

from pgflowstate.cli import bench  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each throughput run")
    parser.add_argument("--versions", type=int, default=1000, help="versions of the deep flow in the time-travel run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        results = asyncio.run(bench.run(dsn, args.iterations, clients=args.clients, seconds=args.seconds,
                                        versions=args.versions))
    print(json.dumps(results, indent=2) if args.json else bench.format_results(results))


if __name__ == "__main__":
    main()
