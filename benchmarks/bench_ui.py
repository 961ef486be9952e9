"""How fast the inspector's pages render: a flow with 1,000 versions, and the flows list.

    python benchmarks/bench_ui.py [--dsn DSN] [--versions 1000] [--flows 1000000] [--repeat 20] [--json]

A flow is saved --versions times through the wrapper (one key changed per save, a checkpoint
every 100), then `pgflowstate ui` is started (a subprocess, as a user starts it) and its pages are
fetched over HTTP, each --repeat times: the flow page (the whole timeline, the phase strip,
checkpoints, quarantine; first page and all events at once), the state at a middle version, a diff. When the database has
flowstate.flow_search, --flows flows are grown in SQL as bench_scale.py grows them and the
overview and the flows list are timed too: the list's first page, the next page, and a filtered
page. Prints ms (p50, p95).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent))
import bench_scale  # noqa: E402
from common import bench_database, connect, summary  # noqa: E402

from pgflowstate import FlowStateStore, RequestContext, create_pool  # noqa: E402

CONTEXT = RequestContext.model_validate(bench_scale.TENANT)


async def long_flow(dsn: str, versions: int) -> uuid.UUID:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        store = FlowStateStore(pool, CONTEXT)
        flow_id = uuid.uuid4()
        doc = (await store.save_state(flow_id, {
            "flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [],
            "state_data": {"rows": {f"r{i}": {"seen": 0, "host": f"host-{i}"} for i in range(200)}}})).document()
        for version in range(2, versions + 1):
            doc["state_data"]["rows"][f"r{version % 200}"]["seen"] = version
            doc = (await store.save_state(flow_id, doc, version=version - 1)).document()
            if version % 100 == 0:
                await store.create_checkpoint(flow_id, label=f"at {version}")
        return flow_id
    finally:
        await pool.close()


async def has_flow_search(dsn: str) -> bool:
    conn = await connect(dsn)
    try:
        return await conn.fetchval("select to_regproc('flowstate.flow_search') is not null")
    finally:
        await conn.close()


async def grow_flows(dsn: str, flows: int) -> None:
    conn = await connect(dsn)
    try:
        await conn.execute(bench_scale.FLOOR)
        await bench_scale.grow(conn, 0, flows)
    finally:
        await conn.close()


class UI:
    """`pgflowstate ui` on ``dsn`` as the benchmark's tenant, logged in once."""

    def __init__(self, dsn: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pgflowstate", "ui", "--dsn", dsn,
             "--client-account-id", bench_scale.TENANT["client_account_id"],
             "--engagement-id", bench_scale.TENANT["engagement_id"], "--user-id", bench_scale.TENANT["user_id"]],
            stdout=subprocess.PIPE, text=True)
        url = urlsplit(self.process.stdout.readline().split(": ", 1)[1].strip())
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        self.conn.request("GET", f"/?{url.query}")
        response = self.conn.getresponse()
        response.read()
        self.cookie = response.getheader("set-cookie").split(";", 1)[0]

    def get(self, path: str) -> tuple[float, str]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers={"Cookie": self.cookie})
        response = self.conn.getresponse()
        body = response.read().decode()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status}")
        return elapsed, body

    def time(self, path: str, repeat: int) -> dict:
        self.get(path)  # warm: prepared statements, template compilation
        samples = [self.get(path)[0] for _ in range(repeat)]
        result = summary(samples)
        result["kb"] = round(len(self.get(path)[1].encode()) / 1024, 1)
        return result

    def close(self) -> None:
        self.conn.close()
        self.process.terminate()
        self.process.wait(10)


def run(dsn: str, versions: int, flows: int, repeat: int) -> dict:
    flow_id = asyncio.run(long_flow(dsn, versions))
    results: dict = {"versions": versions}
    listing = asyncio.run(has_flow_search(dsn))
    if listing and flows:
        started = time.perf_counter()
        asyncio.run(grow_flows(dsn, flows))
        results["flows"] = flows
        results["grow_s"] = round(time.perf_counter() - started, 1)
    ui = UI(dsn)
    try:
        pages = {
            f"flow page ({versions} versions, first 500 events)": f"/flows/{flow_id}",
            f"flow page, all {versions + versions // 100} events at once": f"/flows/{flow_id}?events={versions + versions // 100}",
            "state at a middle version": f"/flows/{flow_id}/versions/{versions // 2}",
            "diff of two distant versions": f"/flows/{flow_id}/diff?from=2&to={versions}",
        }
        if listing:
            pages["overview (flow_counts, latest activity)"] = "/"
            pages["flows list, first page"] = "/flows"
            _, body = ui.get("/flows")
            marker = 'href="/flows?'
            after = body[body.index(marker) + len(marker) - 1:].split('"', 1)[0] if 'rel="next"' in body else None
            if after:
                pages["flows list, next page"] = "/flows" + after.replace("&amp;", "&")
            pages["flows list, filtered (status, phase)"] = "/flows?status=running&phase=field_mapping"
        results["pages"] = {name: {"path": path, **ui.time(path, repeat)} for name, path in pages.items()}
    finally:
        ui.close()
    return results


def print_report(results: dict) -> None:
    if "flows" in results:
        print(f"{results['flows']} flows grown in {results['grow_s']} s")
    print(f"{'page':<48}{'p50 ms':>10}{'p95 ms':>10}{'KB':>8}")
    for name, r in results["pages"].items():
        print(f"{name:<48}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}{r['kb']:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default=os.environ.get("DATABASE_URL"),
                        help="server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_database(args.dsn) as dsn:
        results = run(dsn, args.versions, args.flows, args.repeat)
    print(json.dumps(results, indent=2)) if args.json else print_report(results)


if __name__ == "__main__":
    main()
