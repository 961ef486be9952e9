"""`pgflowstate bench` runs end to end and reports every ratio (tiny sizes: this proves the
command, not the speed; speed is measured by running it, see README)."""

import json
import subprocess
import sys


def test_bench_reports_floors_ours_and_ratios(admin_dsn):
    result = subprocess.run([sys.executable, "-m", "pgflowstate", "bench", "--dsn", admin_dsn, "--json",
                             "--iterations", "16", "--clients", "2", "--seconds", "0.2"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for size in ("1KB", "100KB"):
        rows = report["latency"][size]
        for name in ("floor_save", "floor_load", "save", "load", "load_cached", "transition"):
            assert rows[name]["p50_ms"] > 0 and rows[name]["ops_s"] > 0
        assert rows["save"]["ratio_to_floor"] > 0 and rows["load"]["ratio_to_floor"] > 0
        for peer in ("langgraph_aput", "langgraph_aget_tuple", "crewai_sqlite_save"):
            assert (peer in rows and rows[peer]["ours_faster_by"] > 0) or peer.split("_")[0] in report["skipped"]
        throughput = report["throughput"][size]["2_clients"]
        assert throughput["save"]["ratio_to_floor"] > 0
