"""CrewAI flows running concurrently on one backend: PostgreSQL next to CrewAI's SQLite.

    python benchmarks/bench_crewai_concurrency.py [--dsn SERVER_DSN] [--flows 20] [--rounds 4]
        [--repeats 2] [--json]

The same flow code (no LLM: a start, two parallel listeners, a join and a last step, each
persisted with @persist) runs ``--flows`` flows at once on one backend object, ``--rounds``
flows one after another in each worker: as threads (each calling ``kickoff()``) and as asyncio
tasks on one loop (``kickoff_async()``). Each persisted step is timed where CrewAI calls the
backend (``save_state``); the table gives its median and p95 per backend and mode, the median
CPU time of the calling thread per step (for PostgreSQL the client's work, most of it Python
holding the GIL; for SQLite all of its work), and the ratio PostgreSQL / SQLite. Backends run interleaved, ``--repeats`` times each, so machine noise
hits both alike. Without --dsn or DATABASE_URL a throwaway durable cluster (fsync on) is used;
SQLite's file is in a temporary directory (CrewAI's defaults, WAL off).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database  # noqa: E402
from crewai.flow.flow import Flow, and_, listen, start  # noqa: E402
from crewai.flow.persistence import persist  # noqa: E402
from crewai.flow.persistence.base import FlowPersistence  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr  # noqa: E402

from pgflowstate.crewai import PostgresFlowPersistence  # noqa: E402
from pgflowstate.crewai.persistence import default_connections  # noqa: E402
from pgflowstate.crewai.cutover import scratch_sqlite_persistence  # noqa: E402

STEPS_PER_FLOW = 5


class ArticleState(BaseModel):
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    topic: str = ""
    notes: list[str] = Field(default_factory=list)
    outline: list[str] = Field(default_factory=list)
    draft: str = ""
    score: float = 0.0


class Timed(FlowPersistence):
    """Passes every call to ``inner`` and times each save (one persisted step): its wall time
    and its calling thread's CPU time."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    persistence_type: str = Field(default="Timed")
    inner: Any
    _samples: list[tuple[float, float]] = PrivateAttr(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def init_db(self) -> None:
        self.inner.init_db()

    def save_state(self, flow_uuid, method_name, state_data) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        self.inner.save_state(flow_uuid, method_name, state_data)
        sample = (time.perf_counter() - started, time.thread_time() - cpu)
        with self._lock:
            self._samples.append(sample)

    def load_state(self, flow_uuid):
        return self.inner.load_state(flow_uuid)

    def take(self) -> list[tuple[float, float]]:
        with self._lock:
            samples, self._samples = self._samples, []
        return samples


def build_flow(backend: FlowPersistence) -> type[Flow]:
    @persist(backend)
    class ArticleFlow(Flow[ArticleState]):
        @start()
        def plan(self):
            self.state.topic = f"topic {self.state.id[:8]}"

        @listen(plan)
        def research(self):
            self.state.notes = [f"note {i} on {self.state.topic}" for i in range(20)]

        @listen(plan)
        def make_outline(self):
            self.state.outline = [f"section {i}" for i in range(8)]

        @listen(and_(research, make_outline))
        def write(self):
            self.state.draft = " ".join(self.state.outline + self.state.notes) * 4

        @listen(write)
        def review(self):
            self.state.score = len(self.state.draft) / 1000
            return self.state.score

    return ArticleFlow


def run_threads(flow_class: type[Flow], flows: int, rounds: int) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(rounds):
                flow_class().kickoff()
        except BaseException as exc:  # reported below: a failed flow must fail the benchmark
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(flows)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def run_tasks(flow_class: type[Flow], flows: int, rounds: int) -> None:
    async def worker() -> None:
        for _ in range(rounds):
            await flow_class().kickoff_async()

    async def main() -> None:
        await asyncio.gather(*(worker() for _ in range(flows)))

    asyncio.run(main())


MODES = {"threads": run_threads, "asyncio": run_tasks}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def measure(dsn: str, flows: int, rounds: int, repeats: int, max_connections: int) -> dict[str, Any]:
    sqlite, cleanup = scratch_sqlite_persistence()
    postgres = PostgresFlowPersistence(
        dsn=dsn, client_account_id=str(uuid.uuid4()), engagement_id=str(uuid.uuid4()),
        user_id=str(uuid.uuid4()), max_connections=max_connections)
    backends = {"sqlite": Timed(inner=sqlite), "postgres": Timed(inner=postgres)}
    classes = {name: build_flow(backend) for name, backend in backends.items()}
    try:
        for name, flow_class in classes.items():  # warm up: connections, schema, statement cache
            MODES["threads"](flow_class, min(flows, 4), 1)
            backends[name].take()
        samples: dict[str, dict[str, list[tuple[float, float]]]] = {m: {b: [] for b in backends} for m in MODES}
        walls: dict[str, dict[str, list[float]]] = {m: {b: [] for b in backends} for m in MODES}
        for _ in range(repeats):
            for mode, run in MODES.items():
                for name, flow_class in classes.items():
                    started = time.perf_counter()
                    run(flow_class, flows, rounds)
                    walls[mode][name].append(time.perf_counter() - started)
                    taken = backends[name].take()
                    assert len(taken) == flows * rounds * STEPS_PER_FLOW, (name, mode, len(taken))
                    samples[mode][name] += taken
    finally:
        postgres.close()
        cleanup()
    report: dict[str, Any] = {"flows": flows, "rounds": rounds, "repeats": repeats,
                              "max_connections": max_connections}
    for mode in MODES:
        rows = {}
        for name in backends:
            data = [wall for wall, _ in samples[mode][name]]
            rows[name] = {"steps": len(data), "p50_ms": round(statistics.median(data) * 1000, 2),
                          "p95_ms": round(percentile(data, 0.95) * 1000, 2),
                          "cpu_p50_ms": round(statistics.median(cpu for _, cpu in samples[mode][name]) * 1000, 3),
                          "run_s": round(min(walls[mode][name]), 2)}
        rows["ratio_pg_to_sqlite"] = {
            key: round(rows["postgres"][key] / rows["sqlite"][key], 2)
            for key in ("p50_ms", "p95_ms", "cpu_p50_ms", "run_s")}
        report[mode] = rows
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [f"{report['flows']} concurrent flows x {report['rounds']} rounds x {report['repeats']} repeats,"
             f" {STEPS_PER_FLOW} persisted steps per flow, pool max {report['max_connections']}",
             f"{'mode':<8} {'backend':<9} {'steps':>6} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>7} {'run s':>7}"]
    for mode in MODES:
        for name in ("sqlite", "postgres"):
            row = report[mode][name]
            lines.append(f"{mode:<8} {name:<9} {row['steps']:>6} {row['p50_ms']:>8} {row['p95_ms']:>8}"
                         f" {row['cpu_p50_ms']:>7} {row['run_s']:>7}")
        ratio = report[mode]["ratio_pg_to_sqlite"]
        lines.append(f"{mode:<8} {'pg/sqlite':<9} {'':>6} {ratio['p50_ms']:>8} {ratio['p95_ms']:>8}"
                     f" {ratio['cpu_p50_ms']:>7} {ratio['run_s']:>7}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--flows", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--max-connections", type=int, default=default_connections(),
                        help="the backend's connections (default: its own default on this machine)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        report = measure(dsn, args.flows, args.rounds, args.repeats, args.max_connections)
    print(json.dumps(report, indent=2) if args.json else format_report(report))


if __name__ == "__main__":
    main()
