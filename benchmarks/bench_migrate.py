"""Migration throughput from a CrewAI SQLite database, next to a COPY floor taken in the same run.

    python benchmarks/bench_migrate.py [--dsn DSN] [--rows 100000] [--workers 4] [--keep PATH] [--text-ids] [--json]

1. Writes a CrewAI-format database (SQLiteFlowPersistence's schema, WAL mode, state_json by
   json.dumps) of --rows rows: states of 1-50 KB (about 7 KB on average, so 100,000 rows are
   about 725 MB of JSON), flows of 1-20 rows written interleaved, as concurrent flows are.
2. Floor: a bare COPY of the same rows, read from the file in the same order, into a plain
   table whose state column uses lz4. For reference, the same COPY with each state checked to
   be JSON, over a connection per core: what a lossless import that checks its rows must do.
3. `python -m pgflowstate.migrator` in a child process (its peak RSS is measured): import and
   verification timed apart, then a second run, which must skip everything.
Without --dsn it runs on a throwaway durable cluster (fsync on, like production).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database  # noqa: E402

TENANT = {"client_account_id": str(uuid.uuid4()), "engagement_id": str(uuid.uuid4()),
          "user_id": str(uuid.uuid4())}
# The floor's COPY with each state checked to be JSON, over a connection per core (as the
# migrator's workers spread): what a lossless import that checks its rows cannot do without.
CHECKED_STREAMS = max(1, len(os.sched_getaffinity(0)))
METHODS = ["start", "research", "analyze", "draft", "review", "revise", "publish", "notify"]
WORDS = ("agent crew task flow state research market analysis draft review report summary data "
         "customer product model result score insight source citation answer question plan "
         "step tool output memory context error retry success budget timeline risk").split()

# CrewAI's schema, verbatim (crewai/flow/persistence/sqlite.py, SQLiteFlowPersistence._create_schema).
SCHEMA = """
CREATE TABLE IF NOT EXISTS flow_states (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_uuid TEXT NOT NULL,
    method_name TEXT NOT NULL,
    timestamp DATETIME NOT NULL,
    state_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_flow_states_uuid ON flow_states(flow_uuid);
CREATE TABLE IF NOT EXISTS pending_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow_uuid TEXT NOT NULL UNIQUE,
    context_json TEXT NOT NULL,
    state_json TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_pending_feedback_uuid ON pending_feedback(flow_uuid);
"""


def generate(path: Path, rows: int, seed: int = 7, text_ids: bool = False) -> int:
    """Write the database; returns the bytes of state_json written. With ``text_ids`` the flow
    ids are not UUIDs (``run-<n>``), which flow_id_for maps with a SHA-1."""
    rnd = random.Random(seed)
    sentences = [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 40))) for _ in range(4000)]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(SCHEMA)
    active: list[dict] = []
    written = total_bytes = 0
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    batch = []
    while written < rows:
        while len(active) < 50:  # flows running at the same time: their rows interleave
            flow_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            active.append({"id": f"run-{flow_id[:13]}" if text_ids else flow_id,
                           "left": rnd.randint(1, 20), "step": 0, "messages": []})
        flow = rnd.choice(active)
        target = min(50_000, 1_000 + int(rnd.expovariate(1 / 6_250)))
        size = 0
        messages = []
        while size < target:
            text = rnd.choice(sentences)
            messages.append({"role": rnd.choice(("assistant", "user", "tool")), "content": text,
                             "score": round(rnd.random(), 6), "tokens": len(text) // 4})
            size += len(text) + 70
        flow["step"] += 1
        state = {"id": flow["id"], "step": flow["step"], "topic": rnd.choice(sentences)[:60],
                 "messages": messages, "done": False, "metrics": {"cost": rnd.random() * 3}}
        state_json = json.dumps(state)  # as CrewAI: json.dumps(state_dict, default=...)
        at += timedelta(milliseconds=rnd.randint(1, 5000))
        batch.append((flow["id"], METHODS[min(flow["step"] - 1, len(METHODS) - 1)], at.isoformat(), state_json))
        total_bytes += len(state_json)
        written += 1
        flow["left"] -= 1
        if flow["left"] == 0:
            active.remove(flow)
        if len(batch) >= 2000:
            _insert(conn, batch)
            batch = []
    _insert(conn, batch)
    conn.close()
    return total_bytes


def _insert(conn: sqlite3.Connection, batch: list) -> None:
    with conn:
        conn.executemany("INSERT INTO flow_states (flow_uuid, method_name, timestamp, state_json)"
                         " VALUES (?, ?, ?, ?)", batch)


async def copy_floor(dsn: str, path: Path, json_check: bool = False, streams: int = 1) -> float:
    """Seconds for a bare COPY of every row, read in the migrator's order, into lz4 text (with
    ``json_check``: checked to be JSON) over ``streams`` connections at once (rows dealt out by id)."""
    conns = [await asyncpg.connect(dsn) for _ in range(streams)]
    sources = [sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) for _ in range(streams)]
    try:
        await conns[0].execute("create table bench_copy_floor (flow_uuid text, id bigint, method_name text,"
                               " ts text, state_json text compression lz4"
                               f"{' check (state_json::json is not null)' if json_check else ''})")
        cursors = [source.execute("select flow_uuid, id, method_name, timestamp, state_json from flow_states"
                                  " where id % ? = ? order by flow_uuid, id", (streams, n))
                   for n, source in enumerate(sources)]
        started = time.perf_counter()
        await asyncio.gather(*(conn.copy_records_to_table("bench_copy_floor", records=cursor)
                               for conn, cursor in zip(conns, cursors)))
        seconds = time.perf_counter() - started
        await conns[0].execute("drop table bench_copy_floor")
        return seconds
    finally:
        for source in sources:
            source.close()
        for conn in conns:
            await conn.close()


def run_migrator(dsn: str, path: Path, workers: int) -> tuple[dict, float, int]:
    """(report, wall seconds, peak RSS in bytes) of one `python -m pgflowstate.migrator` run."""
    cmd = [sys.executable, "-m", "pgflowstate.migrator", str(path), "--dsn", dsn, "--json",
           "--workers", str(workers), "--client-account-id", TENANT["client_account_id"],
           "--engagement-id", TENANT["engagement_id"], "--user-id", TENANT["user_id"]]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode()
    if child.returncode != 0:
        raise SystemExit(f"migrator exited {child.returncode}: {child.stderr.read().decode()}{text[-2000:]}")
    return json.loads(text), seconds, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: throwaway durable cluster)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="write (or reuse) the SQLite database here")
    parser.add_argument("--text-ids", action="store_true", help="flow ids that are not UUIDs (run-...)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-migrate-") as tmp:
        path = args.keep or Path(tmp) / "flow_states.db"
        started = time.perf_counter()
        if not path.exists():
            generate(path, args.rows, text_ids=args.text_ids)
        generated = time.perf_counter() - started
        check = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows, state_bytes = check.execute("select count(*), sum(length(state_json)) from flow_states").fetchone()
        check.close()
        with bench_database(args.dsn) as dsn:
            floor = asyncio.run(copy_floor(dsn, path))
            checked_floor = asyncio.run(copy_floor(dsn, path, json_check=True, streams=CHECKED_STREAMS))
            report, wall, peak = run_migrator(dsn, path, args.workers)
            again, wall_again, _ = run_migrator(dsn, path, args.workers)

    mb = state_bytes / 1e6
    result = {
        "rows": rows, "flows": report["flows_total"], "state_mb": round(mb, 1),
        "generate_s": round(generated, 1),
        "floor_copy": {"seconds": round(floor, 2), "rows_s": round(rows / floor), "mb_s": round(mb / floor, 1)},
        "checked_copy": {"seconds": round(checked_floor, 2), "rows_s": round(rows / checked_floor),
                         "mb_s": round(mb / checked_floor, 1), "streams": CHECKED_STREAMS,
                         "of_floor": round(floor / checked_floor, 2)},
        "migrate_import": {"seconds": round(report["import_seconds"], 2), "rows_s": round(rows / report["import_seconds"]),
                           "mb_s": round(mb / report["import_seconds"], 1),
                           "of_floor": round(floor / report["import_seconds"], 2)},
        "migrate_with_verify": {"seconds": round(report["seconds"], 2), "rows_s": round(rows / report["seconds"]),
                                "mb_s": round(mb / report["seconds"], 1), "verify_s": round(report["verify_seconds"], 2),
                                "process_wall_s": round(wall, 2)},
        "peak_rss_mb": round(peak / 1e6, 1),
        "rerun": {"seconds": round(again["seconds"], 2), "skipped_flows": again["flows_skipped"],
                  "migrated_flows": again["flows_migrated"]},
        "verified_flows": report["flows_verified"], "ok": report["ok"] and again["ok"],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    f, c, m, v = result["floor_copy"], result["checked_copy"], result["migrate_import"], result["migrate_with_verify"]
    print(f"source: {rows:,} rows in {result['flows']:,} flows, {mb:,.1f} MB of state JSON "
          f"(generated in {generated:.1f} s)")
    print(f"{'':<30}{'seconds':>10}{'rows/s':>10}{'MB/s':>8}")
    print(f"{'floor: COPY into lz4 text':<30}{f['seconds']:>10.2f}{f['rows_s']:>10,}{f['mb_s']:>8.1f}")
    print(f"{f'same, JSON checked, {CHECKED_STREAMS} conns':<30}{c['seconds']:>10.2f}{c['rows_s']:>10,}{c['mb_s']:>8.1f}"
          f"   {c['of_floor']:.2f} x floor")
    print(f"{'migrate (import)':<30}{m['seconds']:>10.2f}{m['rows_s']:>10,}{m['mb_s']:>8.1f}"
          f"   {m['of_floor']:.2f} x floor")
    print(f"{'migrate (import + verify)':<30}{v['seconds']:>10.2f}{v['rows_s']:>10,}{v['mb_s']:>8.1f}"
          f"   verify {v['verify_s']:.2f} s")
    print(f"peak memory of the migrating process: {result['peak_rss_mb']:.1f} MB")
    print(f"second run: {result['rerun']['skipped_flows']:,} flows skipped as already migrated, "
          f"{result['rerun']['migrated_flows']} migrated, {result['rerun']['seconds']:.2f} s")
    print("all verified" if result["ok"] else "VERIFICATION OR MIGRATION FAILED")


if __name__ == "__main__":
    main()
