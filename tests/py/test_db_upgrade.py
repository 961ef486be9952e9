"""`db upgrade` / `db status`: idempotence, change detection, atomicity, concurrency, CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from pgflowstate import db
from pgflowstate.cli import main

DB_DIR = db.find_db_dir()
MIGRATION_IDS = [m.id for m in db.read_migrations(DB_DIR)]
FUNCTION_FILES = [f.name for f in db.read_function_files(DB_DIR)]


def snapshot(dsn: str) -> dict:
    """Everything a no-op upgrade must leave untouched, down to row versions (xmin)."""
    with psycopg.connect(dsn) as conn:
        return {
            "function_files": conn.execute(
                "select file_name, sha256, applied_at, xmin::text from flowstate.function_files"
                " order by file_name").fetchall(),
            "functions": conn.execute(
                "select oid, xmin::text from pg_proc"
                " where pronamespace = 'flowstate'::regnamespace order by oid").fetchall(),
            "migrations": conn.execute(
                "select migration_id, xmin::text from _yoyo_migration order by 1").fetchall(),
        }


@pytest.fixture
def db_copy(tmp_path) -> Path:
    """A private copy of db/ that a test may edit."""
    copy = tmp_path / "db"
    shutil.copytree(DB_DIR, copy)
    return copy


def test_second_upgrade_changes_nothing(fresh_database):
    dsn = fresh_database()
    before = snapshot(dsn)
    report = db.upgrade(dsn)
    assert report["migrations_applied"] == []
    assert report["function_files_applied"] == []
    assert report["functions"] == "up to date"
    assert snapshot(dsn) == before


def test_status_reports_everything_applied(admin_dsn):
    report = db.status(admin_dsn)
    assert report["migrations"] == {"applied": MIGRATION_IDS, "pending": []}
    assert report["function_files"] == {
        "current": FUNCTION_FILES, "changed": [], "missing": [], "removed": []}
    assert report["up_to_date"] is True


def test_status_of_an_empty_database_lists_everything_pending(fresh_database):
    report = db.status(fresh_database(migrated=False))
    assert report["migrations"] == {"applied": [], "pending": MIGRATION_IDS}
    assert report["function_files"]["missing"] == FUNCTION_FILES
    assert report["up_to_date"] is False


def test_changed_function_file_is_reapplied(fresh_database, db_copy):
    dsn = fresh_database()
    changed = db_copy / "functions" / FUNCTION_FILES[0]
    with changed.open("a") as f:
        f.write("\ncreate or replace function flowstate._upgrade_probe() returns int"
                " language sql as $$ select 1 $$;\n")

    assert db.status(dsn, db_dir=db_copy)["function_files"]["changed"] == [changed.name]
    report = db.upgrade(dsn, db_dir=db_copy)
    assert report["function_files_applied"] == FUNCTION_FILES  # all files, in order

    with psycopg.connect(dsn) as conn:
        assert conn.execute("select flowstate._upgrade_probe()").fetchone() == (1,)
        recorded = conn.execute("select sha256 from flowstate.function_files where file_name = %s",
                                [changed.name]).fetchone()[0]
    assert recorded == db.read_function_files(db_copy)[0].sha256
    assert db.status(dsn, db_dir=db_copy)["up_to_date"] is True
    assert db.upgrade(dsn, db_dir=db_copy)["functions"] == "up to date"


def test_added_and_removed_function_files_are_detected(fresh_database, db_copy):
    dsn = fresh_database()
    removed = FUNCTION_FILES[-1]
    (db_copy / "functions" / removed).unlink()
    (db_copy / "functions" / "zzz_probe.sql").write_text(
        "create or replace function flowstate._upgrade_probe() returns int"
        " language sql as $$ select 2 $$;\n")

    files = db.status(dsn, db_dir=db_copy)["function_files"]
    assert (files["missing"], files["removed"]) == (["zzz_probe.sql"], [removed])
    db.upgrade(dsn, db_dir=db_copy)
    with psycopg.connect(dsn) as conn:
        names = [r[0] for r in conn.execute(
            "select file_name from flowstate.function_files order by file_name")]
    assert names == sorted(set(FUNCTION_FILES) - {removed} | {"zzz_probe.sql"})


def test_failing_function_file_is_named_and_nothing_is_applied(fresh_database, db_copy):
    dsn = fresh_database()
    before = snapshot(dsn)
    with (db_copy / "functions" / FUNCTION_FILES[0]).open("a") as f:
        f.write("\ncreate function flowstate._upgrade_probe() returns int"
                " language sql as $$ select 1 $$;\n")
    (db_copy / "functions" / "zzz_broken.sql").write_text(
        "-- a comment line\ncreate function flowstate._broken() returns int\n"
        "language sql as $$ select no_such_column $$;\n")

    with pytest.raises(db.UpgradeError, match=r"zzz_broken\.sql: line 3: .*no_such_column"):
        db.upgrade(dsn, db_dir=db_copy)
    assert snapshot(dsn) == before  # one transaction: the earlier file's change is gone too
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select to_regproc('flowstate._upgrade_probe')").fetchone() == (None,)


def test_a_new_migration_also_reapplies_the_function_files(fresh_database, db_copy):
    """Grants and dependencies in db/functions must cover what a migration adds."""
    dsn = fresh_database()
    (db_copy / "migrations" / "9999_probe.sql").write_text(
        f"-- depends: {MIGRATION_IDS[-1]}\ncreate table flowstate.upgrade_probe (id int);\n")
    report = db.upgrade(dsn, db_dir=db_copy)
    assert report["migrations_applied"] == ["9999_probe"]
    assert report["function_files_applied"] == FUNCTION_FILES


def test_the_domains_migration_upgrades_a_populated_store(fresh_database, db_copy):
    """0007 turns column rules into domains on a store that already holds flows and history:
    nothing is lost, the functions work, and the rules still hold.

    The store is built from the migrations before 0007 alone, its rows written by hand as the
    functions of that time stored them: today's function files need today's tables, and the
    migrations after 0007 build on it, so neither can be part of the store 0007 upgrades."""
    dsn = fresh_database(migrated=False)
    for migration in (db_copy / "migrations").glob("*.sql"):
        if migration.stem >= "0007_domains":
            migration.unlink()
    with psycopg.connect(dsn, autocommit=True) as conn:
        db.apply_migrations(dsn, conn, db.read_migrations(db_copy))
    ctx = ('{"client_account_id": "11111111-1111-1111-1111-111111111111", '
           '"engagement_id": "22222222-2222-2222-2222-222222222222", '
           '"user_id": "33333333-3333-3333-3333-333333333333"}')
    flow_id = "aaaaaaaa-0000-0000-0000-000000000001"
    content = {"flow_id": flow_id, "flow_type": "discovery", "current_phase": "failed",
               "phases_completed": [], "status": "failed", "failed_phase": "data_import",
               "created_at": "2024-01-01T00:00:00.000000Z", "state_data": {"n": 1},
               "metadata": {"client_account_id": "11111111-1111-1111-1111-111111111111",
                            "engagement_id": "22222222-2222-2222-2222-222222222222",
                            "user_id": "33333333-3333-3333-3333-333333333333"}}
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("""
            insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id, flow_version,
                                         current_phase, phases_completed, status, failed_phase, state_data,
                                         created_at, updated_at)
            values (%s, 'discovery', '11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222',
                    '33333333-3333-3333-3333-333333333333', 2, 'failed', '{}', 'failed', 'data_import', '{"n": 1}',
                    '2024-01-01Z', '2024-01-01Z')""", (flow_id,))
        conn.execute("""
            insert into flowstate.audit_log (flow_id, logged_at, operation, old_version, new_version, old_phase,
                                             new_phase, actor_user_id, actor_role, snapshot)
            values (%(id)s, '2024-01-01Z', 'create', null, 1, null, 'data_import', '33333333-3333-3333-3333-333333333333',
                    'app', %(first)s),
                   (%(id)s, '2024-01-01Z', 'transition', 1, 2, 'data_import', 'failed', '33333333-3333-3333-3333-333333333333',
                    'app', %(second)s)""",
                     {"id": flow_id, "first": json.dumps({**{k: v for k, v in content.items() if k != "failed_phase"},
                                                          "current_phase": "data_import", "status": "running"}),
                      "second": json.dumps(content)})
        audit = "select to_jsonb(a) from flowstate.audit_log a order by audit_id"
        before = [row[0] for row in conn.execute(audit)]
        assert conn.execute("select pg_typeof(status)::text from flowstate.flows").fetchone() == ("text",)

    applied = db.upgrade(dsn)["migrations_applied"]
    assert applied == MIGRATION_IDS[MIGRATION_IDS.index("0007_domains"):]

    with psycopg.connect(dsn, autocommit=True) as conn:
        types = dict(conn.execute(
            "select attname, format_type(atttypid, atttypmod) from pg_attribute"
            " where attrelid = 'flowstate.flows'::regclass and attname in ('status', 'state_data')").fetchall())
        assert types == {"status": "flowstate.flow_status", "state_data": "flowstate.json_object"}
        after = [row[0] for row in conn.execute(audit)]
        assert [{k: row[k] for k in old} for row, old in zip(after, before)] == before  # (later columns aside)
        loaded = conn.execute("select flowstate.flow_load_state(%s, %s)", (flow_id, ctx)).fetchone()[0]
        assert {k: loaded[k] for k in ("flow_version", "current_phase", "status", "failed_phase", "state_data")} == {
            "flow_version": 2, "current_phase": "failed", "status": "failed", "failed_phase": "data_import",
            "state_data": {"n": 1}}
        assert conn.execute("select flowstate.flow_state_at(%s, 1, %s) ->> 'current_phase'",
                            (flow_id, ctx)).fetchone() == ("data_import",)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("update flowstate.flows set status = 'bogus'")


def test_failing_migration_is_named_and_not_recorded(fresh_database, db_copy):
    dsn = fresh_database()
    (db_copy / "migrations" / "9999_broken.sql").write_text(
        f"-- depends: {MIGRATION_IDS[-1]}\ncreate table flowstate.upgrade_probe (id int);\n"
        "create table flowstate.upgrade_probe (id int);\n")
    with pytest.raises(db.UpgradeError, match="migration 9999_broken: .*already exists"):
        db.upgrade(dsn, db_dir=db_copy)
    assert db.status(dsn, db_dir=db_copy)["migrations"]["pending"] == ["9999_broken"]
    with psycopg.connect(dsn) as conn:  # each migration is one transaction
        assert conn.execute("select to_regclass('flowstate.upgrade_probe')").fetchone() == (None,)


def test_concurrent_upgrades_of_an_empty_database_both_succeed(fresh_database):
    dsn = fresh_database(migrated=False)
    start = threading.Barrier(2)
    reports, errors = [], []

    def run():
        start.wait()
        try:
            reports.append(db.upgrade(dsn))
        except Exception as exc:  # reported below, with the other thread's outcome
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert sorted(m for r in reports for m in r["migrations_applied"]) == sorted(MIGRATION_IDS)
    assert sorted(len(r["function_files_applied"]) for r in reports) == [0, len(FUNCTION_FILES)]
    assert db.status(dsn)["up_to_date"] is True


# ---------------------------------------------------------------------------------------------
# CLI


def test_cli_upgrade_and_status(fresh_database):
    dsn = fresh_database(migrated=False)
    runner = CliRunner()

    first = runner.invoke(main, ["db", "upgrade", "--dsn", dsn, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["migrations_applied"] == MIGRATION_IDS

    again = runner.invoke(main, ["db", "upgrade"], env={"DATABASE_URL": dsn})
    assert again.exit_code == 0, again.output
    assert "migrations: none pending" in again.stdout and "up to date" in again.stdout

    status = runner.invoke(main, ["db", "status", "--dsn", dsn])
    assert status.exit_code == 0, status.output
    assert status.stdout.rstrip().endswith("up to date")
    assert json.loads(runner.invoke(main, ["db", "status", "--dsn", dsn, "--json"]).stdout)[
        "up_to_date"] is True


@pytest.mark.parametrize("args, message", [
    # No --dsn or DATABASE_URL: the embedded server, here in a home it cannot create.
    ([], "the embedded server did not start"),
    (["--dsn", "postgresql://nobody@127.0.0.1:1/none"], "cannot connect to 127.0.0.1:1/none"),
    (["--dsn", "not a dsn"], "invalid DSN"),
])
def test_cli_usage_and_connection_errors_exit_2_with_one_line(args, message):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PGFLOWSTATE_HOME"] = "/proc/pgflowstate-cannot-live-here"
    result = subprocess.run([sys.executable, "-m", "pgflowstate", "db", "status", *args],
                            env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr


def test_cli_failed_upgrade_exits_1_with_one_line(fresh_database, monkeypatch, db_copy):
    dsn = fresh_database()
    (db_copy / "functions" / "zzz_broken.sql").write_text("select from;\n")
    monkeypatch.setattr(db, "find_db_dir", lambda: db_copy)
    result = CliRunner().invoke(main, ["db", "upgrade", "--dsn", dsn, "--force"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "pgflowstate: error: db/functions/zzz_broken.sql: line 1: syntax error at or near \";\""
        " (SQLSTATE 42601)"]
