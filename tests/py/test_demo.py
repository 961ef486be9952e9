"""`pgflowstate demo`, run as a newcomer runs it, and what it leaves in the database."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

from pgflowstate import server


def demo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pgflowstate", "demo", *args], capture_output=True,
                          text=True, timeout=300)


def flow_id_of(output: str) -> str:
    return re.search(r"^   flow ([0-9a-f-]{36})$", output, re.M)[1]


def test_demo_tells_the_whole_story_and_leaves_it_in_the_database(admin_dsn):
    result = demo("--dsn", admin_dsn)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "ConcurrentModificationError (expected v2, found v3); reloaded and retried: saved v4",
        "skipping ahead to completed is refused: InvalidTransitionError",
        "failed (in dependency_analysis): status failed",
        "flow_recover_failed restored checkpoint",
        "alert via LISTEN flowstate_alerts: flow_recovered",
        "flowstate.flow_validate_all() finds it:",
        "alert via LISTEN flowstate_alerts: corrupted_state_reset",
        "v14  completed: status completed",
        "+ state_data.field_mapping.review:",  # the diff: both agents' changes are there
        "~ state_data.field_mapping.unmapped:",
        "validation failures: 0, conflicts: 1",
    ):
        assert expected in out, expected
    assert result.stderr == ""

    flow_id = flow_id_of(out)
    with psycopg.connect(admin_dsn) as conn:
        status, version = conn.execute(
            "select status, flow_version from flowstate.flows where flow_id = %s", [flow_id]).fetchone()
        operations = [r[0] for r in conn.execute(
            "select operation from flowstate.flow_history(%s, null)", [flow_id])]
        quarantined = conn.execute("select count(*) from flowstate.quarantine where flow_id = %s", [flow_id]).fetchone()[0]
    assert (status, version) == ("completed", 14)
    assert operations.count("checkpoint") == 6 and operations.count("recover") == 2
    assert {"admin_update", "archive", "reset"} <= set(operations) and quarantined == 1
    # The history table printed is the audit trail, one line per row.
    assert len(re.findall(r"^\s+\d+  \d\d:\d\d:\d\d\.\d{3}Z  ", out, re.M)) == len(operations)


def test_demo_as_an_application_role_skips_only_the_direct_update(app_dsn, admin_dsn):
    result = demo("--dsn", app_dsn)
    assert result.returncode == 0, result.stderr
    assert "skipped: this step's direct UPDATE" in result.stdout
    assert "flow_recover_failed restored checkpoint" in result.stdout
    with psycopg.connect(admin_dsn) as conn:
        status = conn.execute("select status from flowstate.flows where flow_id = %s",
                              [flow_id_of(result.stdout)]).fetchone()[0]
    assert status == "completed"


def test_demo_explains_a_database_without_the_schema_or_a_server_it_cannot_reach(fresh_database):
    empty = demo("--dsn", fresh_database(migrated=False))
    assert empty.returncode == 1
    assert "no flowstate schema" in empty.stderr and "pgflowstate db upgrade" in empty.stderr
    unreachable = demo("--dsn", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert unreachable.returncode == 2 and "cannot connect" in unreachable.stderr
    assert "Traceback" not in empty.stderr + unreachable.stderr


def test_demo_runs_on_the_embedded_server_without_any_setup(monkeypatch):
    """No --dsn, no DATABASE_URL: the demo starts its own local PostgreSQL."""
    base = Path(tempfile.mkdtemp(prefix="pgflowstate-demo-"))
    base.chmod(0o755)  # as root the server runs as another user, who must enter it
    monkeypatch.setenv("PGFLOWSTATE_HOME", str(base / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    try:
        result = demo()
        assert result.returncode == 0, result.stderr
        assert "v14  completed: status completed" in result.stdout
        assert server.status()["running"]
    finally:
        server.down()
        shutil.rmtree(base, ignore_errors=True)
