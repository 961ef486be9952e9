"""What the overview's tallies cost a save: p50 of a save through the store with the tally
triggers on flows enabled and disabled, interleaved in one run on one database.

    python benchmarks/bench_tallies.py [--dsn DSN] [--rounds 10] [--saves 200] [--writers 8]
                                      [--synchronous-commit off] [--json]

Each round saves --saves times (one key changed, the same flow each time, as an agent saves
its flow) with the triggers on, then off (ALTER TABLE ... DISABLE TRIGGER, as the superuser),
alternating which goes first. Then --writers concurrent writers of one tenant, each saving its
own flow, for the same number of saves, on and off: the slots keep them from queueing on one
tally row. Prints p50/p95 ms and the ratio on/off. The cluster is durable (fsync on), so a
save's time is mostly its commit; --synchronous-commit off leaves the work the trigger adds.
Also the server's own account (track_functions = 'pl', pg_stat_user_functions): the mean time
of the tally trigger per call and of flow_save_state per call, which includes it, so their
ratio is the share of a save's server time the tallies take, whatever the client's noise.
Since issue 17 a save counts itself in its write statement (flowstate._write_flow) and the
update trigger fires only with session_replication_role = replica: switching the triggers
off no longer takes the tallies out of a save, so on/off now shows what the triggers still add.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database, summary  # noqa: E402

from pgflowstate import FlowStateStore, RequestContext, create_pool  # noqa: E402

CONTEXT = RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4())
TRIGGERS = {"flows_tally_insert": "always", "flows_tally_update": "replica", "flows_tally_delete": "always"}


async def switch(pool, on: bool) -> None:
    for name, mode in TRIGGERS.items():
        await pool.execute(f"alter table flowstate.flows {'enable ' + mode if on else 'disable'} trigger {name}")


async def new_flow(store: FlowStateStore) -> dict:
    flow_id = uuid.uuid4()
    saved = await store.save_state(flow_id, {
        "flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [],
        "state_data": {"rows": {f"r{i}": {"seen": 0, "host": f"host-{i}"} for i in range(50)}, "n": 0}})
    return saved.document()


async def saves(store: FlowStateStore, doc: dict, count: int, samples: list[float]) -> dict:
    for _ in range(count):
        doc["state_data"]["n"] += 1
        started = time.perf_counter()
        doc = (await store.save_state(doc["flow_id"], doc, version=doc["flow_version"])).document()
        samples.append(time.perf_counter() - started)
    return doc


async def measure(dsn: str, rounds: int, count: int, writers: int, synchronous_commit: str) -> dict:
    pool = await create_pool(dsn, min_size=writers, max_size=writers,
                             server_settings={"synchronous_commit": synchronous_commit, "track_functions": "pl"})
    try:
        store = FlowStateStore(pool, CONTEXT)
        doc = await new_flow(store)
        docs = [await new_flow(store) for _ in range(writers)]
        single = {True: [], False: []}
        crowd = {True: [], False: []}
        for r in range(rounds):
            for on in ((True, False) if r % 2 == 0 else (False, True)):
                await switch(pool, on)
                doc = await saves(store, doc, count, single[on])
                started = time.perf_counter()
                docs = await asyncio.gather(*(saves(store, d, count // writers, []) for d in docs))
                crowd[on].append(time.perf_counter() - started)
        await switch(pool, True)
        await asyncio.sleep(1.5)  # function statistics reach shared memory at most once a second per backend
        await pool.execute("select 1")
        server = {r["funcname"]: r["mean_us"] for r in await pool.fetch(
            "select funcname, round((total_time / calls * 1000)::numeric, 1)::float as mean_us"
            " from pg_stat_user_functions where schemaname = 'flowstate'"
            " and funcname in ('flow_save_state', '_tally_update') and calls > 0")}
        result = {"saves_per_round": count, "rounds": rounds, "writers": writers,
                  "synchronous_commit": synchronous_commit}
        for on, label in ((True, "tallies on"), (False, "tallies off")):
            result[label] = summary(single[on])
            result[label]["concurrent_ops_s"] = round(rounds * writers * (count // writers) / sum(crowd[on]), 1)
        result["server_mean_us"] = server
        if "flow_save_state" in server and "_tally_update" in server:
            result["trigger share of a save"] = round(server["_tally_update"] / server["flow_save_state"], 3)
        result["p50 ratio on/off"] = round(result["tallies on"]["p50_ms"] / result["tallies off"]["p50_ms"], 3)
        result["concurrent ratio on/off"] = round(
            result["tallies on"]["concurrent_ops_s"] / result["tallies off"]["concurrent_ops_s"], 3)
        return result
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--synchronous-commit", default="on", choices=("on", "off"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        result = asyncio.run(measure(dsn, args.rounds, args.saves, args.writers, args.synchronous_commit))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{'':<14}{'p50 ms':>10}{'p95 ms':>10}{'concurrent ops/s':>18}")
    for label in ("tallies on", "tallies off"):
        r = result[label]
        print(f"{label:<14}{r['p50_ms']:>10.3f}{r['p95_ms']:>10.3f}{r['concurrent_ops_s']:>18.1f}")
    print(f"server mean per call (us): {result['server_mean_us']}; "
          f"tally trigger share of a save's server time: {result.get('trigger share of a save')}")
    print(f"synchronous_commit {result['synchronous_commit']}; p50 ratio on/off: {result['p50 ratio on/off']}, concurrent throughput ratio on/off: "
          f"{result['concurrent ratio on/off']}")


if __name__ == "__main__":
    main()
