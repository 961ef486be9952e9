"""What the benchmark scripts share: a database to run in, timing and summaries."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import orjson

from pgflowstate import schema
from pgflowstate.connection import url
from pgflowstate.pool import create_pool
from pgflowstate.server.cluster import LocalCluster, random_name


@contextlib.contextmanager
def bench_database(server_dsn: str | None):
    """A fresh, upgraded database on server_dsn, or on a throwaway durable cluster (fsync on,
    like production) when server_dsn is None; dropped afterwards. Yields its DSN."""
    cluster = None
    if not server_dsn:
        # Durable like production, and sized like a server given this machine (24 GB): the
        # default 128 MB of shared buffers and 1 GB of WAL between checkpoints measure cache
        # misses and full-page writes, not pgflowstate, once a million flows are loaded.
        cluster = LocalCluster(durable=True, settings={
            "shared_buffers": "'4GB'", "max_wal_size": "'8GB'", "checkpoint_timeout": "'30min'"})
        cluster.start()
        server_dsn = cluster.dsn()
    name = random_name("pgflowstate_bench_")
    try:
        asyncio.run(_admin(server_dsn, f'create database "{name}"'))
        dsn = url(server_dsn, dbname=name)
        schema.upgrade(dsn)
        asyncio.run(_warn_if_not_durable(dsn))
        yield dsn
    finally:
        asyncio.run(_admin(server_dsn, f'drop database if exists "{name}" with (force)'))
        if cluster:
            cluster.stop()


@contextlib.contextmanager
def baseline_database(database: str, db_dir: str | None):
    """With db_dir (a db/ folder of another revision): a second database on the same server as
    ``database``, built from it, to measure alongside; dropped afterwards. Yields its DSN, or
    None without db_dir."""
    if not db_dir:
        yield None
        return
    name = random_name("pgflowstate_bench_baseline_")
    asyncio.run(_admin(database, f'create database "{name}"'))
    try:
        baseline = url(database, dbname=name)
        schema.upgrade(baseline, db_dir=Path(db_dir))
        yield baseline
    finally:
        asyncio.run(_admin(database, f'drop database if exists "{name}" with (force)'))


def cpu_seconds(pid: int) -> float:
    """CPU time of a process so far (a backend of a one-connection pool), in nanoseconds from
    /proc/PID/schedstat: /proc/PID/stat counts 10 ms ticks, too coarse for 100 us calls."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e9


async def interleaved(ops: dict[str, Callable[[int], Awaitable[object]]], pids: dict[str, int], rounds: int,
                      calls: int) -> dict[str, dict[str, float]]:
    """Each op (called with a running iteration number) ``calls`` times a round, the ops in turn
    and in the opposite order every other round, so noise hits them alike; round 0 warms up.
    Per op: p50 latency, its backend's CPU per call (``pids``: each op's backend) and this
    process's CPU per call."""
    samples: dict[str, list[float]] = {name: [] for name in ops}
    cpu = dict.fromkeys(ops, 0.0)
    client_cpu = dict.fromkeys(ops, 0.0)
    i = 0
    for r in range(rounds + 1):
        for name, op in (ops.items() if r % 2 else reversed(ops.items())):
            cpu_start, client_start = cpu_seconds(pids[name]), time.process_time()
            for _ in range(calls):
                i += 1
                start = time.perf_counter()
                await op(i)
                if r:
                    samples[name].append(time.perf_counter() - start)
            if r:
                client_cpu[name] += time.process_time() - client_start
                cpu[name] += cpu_seconds(pids[name]) - cpu_start
    n = rounds * calls
    return {name: {"p50_ms": round(statistics.median(s) * 1000, 3), "cpu_us": round(cpu[name] / n * 1e6),
                   "client_cpu_us": round(client_cpu[name] / n * 1e6)}
            for name, s in samples.items()}


def path_arguments(doc: str) -> argparse.ArgumentParser:
    """The options of the path benchmarks (save, load, step): where to run, how long, and
    another revision's db/ folder to measure alongside."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--dsn", help="a server to run on (default: a throwaway local cluster)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--baseline", help="a db/ folder of another revision, measured alongside")
    return parser


async def measured_pool(database: str, name: str, pids: dict[str, int], closers: list) -> asyncpg.Pool:
    """A one-connection pool with the wrapper's codecs, whose backend ``interleaved`` measures as
    ``name``'s (its pid in ``pids``); its close is added to ``closers``."""
    pool = await create_pool(database, min_size=1, max_size=1)
    closers.append(pool.close)
    pids[name] = await pool.fetchval("select pg_backend_pid()")
    return pool


async def against_floor(floor: Callable[[int], Awaitable[object]], make_op, name: str, database: str,
                        baseline_database: str | None, pids: dict[str, int], rounds: int, calls: int) -> dict:
    """``interleaved`` over the floor, ``await make_op(name, database)`` and, with a baseline
    database, the same op on it as ``<name>_baseline``; with their ratios to the floor."""
    ops = {"floor": floor, name: await make_op(name, database)}
    if baseline_database:
        ops[f"{name}_baseline"] = await make_op(f"{name}_baseline", baseline_database)
    result = await interleaved(ops, pids, rounds, calls)
    result["ratio_to_floor"] = ratios_to_floor(result)
    return result


def ratios_to_floor(result: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """p50 and backend CPU of every op but the floor, as multiples of the floor's."""
    floor = result["floor"]
    return {name: {"p50": round(r["p50_ms"] / floor["p50_ms"], 2), "cpu": round(r["cpu_us"] / max(floor["cpu_us"], 1), 2)}
            for name, r in result.items() if name != "floor"}


async def _warn_if_not_durable(dsn: str) -> None:
    """A server given with --dsn may be a test cluster that does not flush its commits: say so,
    since its numbers are not a durable server's."""
    conn = await asyncpg.connect(dsn)
    try:
        settings = {name: await conn.fetchval(f"select current_setting('{name}')")
                    for name in ("fsync", "synchronous_commit")}
    finally:
        await conn.close()
    off = [name for name, value in settings.items() if value == "off"]
    if off:
        print(f"warning: the server runs with {' and '.join(off)} off: these are not a durable"
              " server's numbers (run without --dsn for a durable throwaway cluster)", file=sys.stderr)


async def _admin(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def connect(dsn: str) -> asyncpg.Connection:
    """A bare connection with orjson codecs, as the wrapper's pool sets them up."""
    conn = await asyncpg.connect(dsn)
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, schema="pg_catalog", format="text",
                                  encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads)
    return conn


def summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 3),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)] * 1000, 3),
        "ops_s": round(len(samples) / sum(samples), 1),
    }


async def timed(samples: list[float], awaitable):
    start = time.perf_counter()
    result = await awaitable
    samples.append(time.perf_counter() - start)
    return result
