"""The psql sessions in examples/ run as their headers say (psql -v ON_ERROR_STOP=1 -f ...)
against a fresh database, to the end, and show what they promise."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def psql(pg_bin: Path | None, dsn: str, *args: str) -> subprocess.CompletedProcess:
    binary = str(pg_bin / "psql") if pg_bin and (pg_bin / "psql").exists() else shutil.which("psql")
    assert binary, "psql not found"
    return subprocess.run([binary, dsn, "-X", *args], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def run_example(name: str, dsn: str, pg_bin: Path | None) -> subprocess.CompletedProcess:
    return psql(pg_bin, dsn, "-v", "ON_ERROR_STOP=1", "-f", str(EXAMPLES / name))


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.sql")) == ["audit_session.sql", "lifecycle_session.sql"]


def test_audit_session_rebuilds_every_version(fresh_database, pg_bin):
    result = run_example("audit_session.sql", fresh_database(), pg_bin)
    assert result.returncode == 0, result.stderr
    assert "every version rebuilt exactly" in result.stdout


def test_lifecycle_session_runs_through_and_only_the_late_write_is_refused(fresh_database, pg_bin):
    dsn = fresh_database()
    result = run_example("lifecycle_session.sql", dsn, pg_bin)
    assert result.returncode == 0, result.stderr
    errors = [line for line in result.stderr.splitlines() if "ERROR:" in line]
    assert len(errors) == 1 and "was erased; its id cannot be used again" in errors[0], result.stderr
    assert '"action": "delete"' in result.stdout and "bad mapping, superseded by its fork" in result.stdout
    assert "compact    |" in result.stdout  # the compaction in the failed flow's history
    # The retention demo is rolled back: it leaves no policy behind.
    check = psql(pg_bin, dsn, "-Atc", "select count(*) from flowstate.retention_policies")
    assert check.stdout.strip() == "0", check.stderr
