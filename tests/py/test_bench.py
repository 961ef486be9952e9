"""`pgflowstate bench` runs end to end and reports every ratio and run, and the server's version
(tiny sizes: this proves the command, not the speed; speed is measured by running it, see README)."""

import json
import subprocess
import sys

from pgflowstate.cli.bench import format_results


def test_bench_reports_floors_ours_and_ratios(admin_dsn):
    # 8 iterations: one call per operation per round, so the transition alternates by its own count
    result = subprocess.run([sys.executable, "-m", "pgflowstate", "bench", "--dsn", admin_dsn, "--json",
                             "--iterations", "8", "--clients", "2", "--seconds", "0.2", "--versions", "20"],
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
        assert throughput["floor_save"]["ops_s"] > 0
        assert throughput["save"]["ratio_to_floor"] > 0
        # (0.2 s on one connection may end before a 100 KB writer's first save after its create)
        assert throughput["save_coalesced"]["ratio_to_floor"] >= 0 <= throughput["save_coalesced_1_connections"]["ratio_to_floor"]
    assert report["server_version"].split(".")[0].isdigit()
    travel = report["time_travel"]["100KB"]
    assert travel["load"]["p50_ms"] > 0 and travel["10_versions_middle"]["p50_ms"] > 0
    for where in ("middle", "newest"):
        assert travel[f"20_versions_{where}"]["x_10_versions"] > 0 and travel[f"20_versions_{where}"]["x_load"] > 0

    lines = format_results(report).splitlines()
    assert lines[0] == f"pgflowstate bench on PostgreSQL {report['server_version']}"
    assert sum("save coalesced 1 connections" in line for line in lines) == 2
    assert any("state_at 20 versions middle" in line and "x a load" in line for line in lines)
