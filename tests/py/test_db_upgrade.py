"""`db upgrade` / `db status`: idempotence, change detection, atomicity, concurrency, CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from pgflowstate import schema
from pgflowstate.cli import main

DB_DIR = schema.find_db_dir()
MIGRATION_IDS = [m.id for m in schema.read_migrations(DB_DIR)]
FUNCTION_FILES = [f.name for f in schema.read_function_files(DB_DIR)]


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
    report = schema.upgrade(dsn)
    assert report["migrations_applied"] == []
    assert report["function_files_applied"] == []
    assert report["functions"] == "up to date"
    assert snapshot(dsn) == before


def test_status_reports_everything_applied(admin_dsn):
    report = schema.status(admin_dsn)
    assert report["migrations"] == {"applied": MIGRATION_IDS, "pending": []}
    assert report["function_files"] == {
        "current": FUNCTION_FILES, "changed": [], "missing": [], "removed": []}
    assert report["up_to_date"] is True


def test_status_of_an_empty_database_lists_everything_pending(fresh_database):
    report = schema.status(fresh_database(migrated=False))
    assert report["migrations"] == {"applied": [], "pending": MIGRATION_IDS}
    assert report["function_files"]["missing"] == FUNCTION_FILES
    assert report["up_to_date"] is False


def test_changed_function_file_is_reapplied(fresh_database, db_copy):
    dsn = fresh_database()
    changed = db_copy / "functions" / FUNCTION_FILES[0]
    with changed.open("a") as f:
        f.write("\ncreate or replace function flowstate._upgrade_probe() returns int"
                " language sql as $$ select 1 $$;\n")

    assert schema.status(dsn, db_dir=db_copy)["function_files"]["changed"] == [FUNCTION_FILES[0]]
    report = schema.upgrade(dsn, db_dir=db_copy)
    assert report["function_files_applied"] == FUNCTION_FILES  # all files, in order

    with psycopg.connect(dsn) as conn:
        assert conn.execute("select flowstate._upgrade_probe()").fetchone() == (1,)
        recorded = conn.execute("select sha256 from flowstate.function_files where file_name = %s",
                                [FUNCTION_FILES[0]]).fetchone()[0]
    assert recorded == schema.read_function_files(db_copy)[0].sha256
    assert schema.status(dsn, db_dir=db_copy)["up_to_date"] is True
    assert schema.upgrade(dsn, db_dir=db_copy)["functions"] == "up to date"


def test_added_and_removed_function_files_are_detected(fresh_database, db_copy):
    dsn = fresh_database()
    removed = next(name for name in FUNCTION_FILES if name.startswith("api/"))
    (db_copy / "functions" / removed).unlink()
    (db_copy / "functions" / "api" / "zzz_probe.sql").write_text(
        "create or replace function flowstate._upgrade_probe() returns int"
        " language sql as $$ select 2 $$;\n")

    files = schema.status(dsn, db_dir=db_copy)["function_files"]
    assert (files["missing"], files["removed"]) == (["api/zzz_probe.sql"], [removed])
    schema.upgrade(dsn, db_dir=db_copy)
    with psycopg.connect(dsn) as conn:
        names = [r[0] for r in conn.execute(
            "select file_name from flowstate.function_files order by file_name")]
    assert names == sorted(set(FUNCTION_FILES) - {removed} | {"api/zzz_probe.sql"})


def test_function_files_load_internal_in_listed_order_then_api_then_grants():
    internal = [f"internal/{name}" for name in schema.INTERNAL_FILES]
    api = sorted(name for name in FUNCTION_FILES if name.startswith("api/"))
    assert FUNCTION_FILES == [*internal, *api, "grants.sql"]


@pytest.mark.parametrize("stray", ["internal/60_new_helper.sql", "60_new_helper.sql"])
def test_a_function_file_outside_the_load_order_is_refused_by_name(fresh_database, db_copy, stray):
    dsn = fresh_database()
    before = snapshot(dsn)
    (db_copy / "functions" / stray).write_text("select 1;\n")
    with pytest.raises(schema.DatabaseError, match=rf"{stray} is not in the load order .*INTERNAL_FILES"):
        schema.upgrade(dsn, db_dir=db_copy)
    assert snapshot(dsn) == before


def test_a_store_upgraded_under_the_flat_file_names_moves_to_the_folder_names(fresh_database):
    """Before db/functions had internal/ and api/, files were recorded by bare name
    (00_context.sql, flow_save_state.sql, zz_grants.sql): those rows go, the new ones come."""
    dsn = fresh_database()
    with psycopg.connect(dsn) as conn:
        conn.execute("update flowstate.function_files"
                     " set file_name = replace(regexp_replace(file_name, '^.*/', ''), 'grants', 'zz_grants')")
    status = schema.status(dsn)["function_files"]
    assert status["missing"] == FUNCTION_FILES
    assert "zz_grants.sql" in status["removed"] and "30_write_state.sql" in status["removed"]

    assert schema.upgrade(dsn)["function_files_applied"] == FUNCTION_FILES
    with psycopg.connect(dsn) as conn:
        names = [r[0] for r in conn.execute("select file_name from flowstate.function_files")]
    assert sorted(names) == sorted(FUNCTION_FILES)
    assert schema.status(dsn)["up_to_date"] is True


def test_failing_function_file_is_named_and_nothing_is_applied(fresh_database, db_copy):
    dsn = fresh_database()
    before = snapshot(dsn)
    with (db_copy / "functions" / FUNCTION_FILES[0]).open("a") as f:
        f.write("\ncreate function flowstate._upgrade_probe() returns int"
                " language sql as $$ select 1 $$;\n")
    (db_copy / "functions" / "api" / "zzz_broken.sql").write_text(
        "-- a comment line\ncreate function flowstate._broken() returns int\n"
        "language sql as $$ select no_such_column $$;\n")

    with pytest.raises(schema.UpgradeError, match=r"api/zzz_broken\.sql: line 3: .*no_such_column"):
        schema.upgrade(dsn, db_dir=db_copy)
    assert snapshot(dsn) == before  # one transaction: the earlier file's change is gone too
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select to_regproc('flowstate._upgrade_probe')").fetchone() == (None,)


def test_a_new_migration_also_reapplies_the_function_files(fresh_database, db_copy):
    """Grants and dependencies in db/functions must cover what a migration adds."""
    dsn = fresh_database()
    (db_copy / "migrations" / "9999_probe.sql").write_text(
        f"-- depends: {MIGRATION_IDS[-1]}\ncreate table flowstate.upgrade_probe (id int);\n")
    report = schema.upgrade(dsn, db_dir=db_copy)
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
        schema.apply_migrations(dsn, conn, schema.read_migrations(db_copy))
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

    applied = schema.upgrade(dsn)["migrations_applied"]
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


def test_the_generations_migration_tells_the_lives_of_a_reused_id_apart(fresh_database, db_copy):
    """0009 on a store that already holds a reused flow id: tenant A's imported flow (with a
    checkpoint and a quarantined document) was deleted by a DBA and tenant B created the id
    again. The records of A's life go to an earlier generation, B's stay with B (generation 0,
    rewriting nothing), and B's readers and recoveries see only B's. The store is filled as the
    functions before 0009 filled it, row by row with triggers off (those functions are gone)."""
    dsn = fresh_database(migrated=False)
    (db_copy / "migrations" / "0009_flow_generations.sql").unlink()
    schema.upgrade(dsn, db_dir=db_copy)
    flow_id, a_checkpoint, b_checkpoint, a_quarantine = (str(uuid.uuid4()) for _ in range(4))
    tenant = {n: {"client_account_id": f"00000000-0000-4000-a000-00000000000{n}",
                  "engagement_id": f"00000000-0000-4000-b000-00000000000{n}",
                  "user_id": f"00000000-0000-4000-c000-00000000000{n}"} for n in (1, 2)}
    content = {n: json.dumps({"flow_id": flow_id, "flow_type": "crewai", "current_phase": "work",
                              "phases_completed": [], "status": "running", "created_at": "2026-01-01T00:00:00Z",
                              "metadata": tenant[n], "state_data": {"secret": n}}) for n in (1, 2)}
    with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
        conn.execute("set local session_replication_role = replica")
        audit = ("insert into flowstate.audit_log (flow_id, logged_at, operation, old_version, new_version,"
                 " old_phase, new_phase, actor_role, label, snapshot)"
                 " values (%s, %s, %s, %s, %s, 'work', 'work', 'x', %s, %s)")
        for at, operation, old, new, label, snapshot in [
                ("2026-01-01", "import", None, 1, None, content[1]),
                ("2026-01-02", "checkpoint", 1, 1, a_checkpoint, None),
                ("2026-01-03", "archive", 1, 1, a_quarantine, None),
                ("2026-01-04", "admin_delete", 1, 1, None, content[1]),
                ("2026-01-05", "create", None, 1, None, content[2]),
                ("2026-01-06", "checkpoint", 1, 1, b_checkpoint, None)]:
            conn.execute(audit, (flow_id, at, operation, old, new, label, snapshot))
        for checkpoint, at, n in [(a_checkpoint, "2026-01-02", 1), (b_checkpoint, "2026-01-06", 2)]:
            conn.execute("insert into flowstate.checkpoints (flow_id, checkpoint_id, phase, flow_version, snapshot,"
                         " created_at) values (%s, %s, 'work', 1, %s, %s)", (flow_id, checkpoint, content[n], at))
        conn.execute("insert into flowstate.quarantine (flow_id, quarantine_id, flow_version, document, errors,"
                     " archived_at) values (%s, %s, 1, %s, '{}', '2026-01-03')", (flow_id, a_quarantine, content[1]))
        conn.execute("insert into flowstate.migration_ledger (flow_id, client_account_id, engagement_id, external_id,"
                     " source_fingerprint, row_count, last_legacy_id, content_hash, has_pending, flow_version,"
                     " migrated_at)"
                     " values (%s, %s, %s, %s, 'f', 1, 1, repeat('0', 64), false, 1, '2026-01-01')",
                     (flow_id, tenant[1]["client_account_id"], tenant[1]["engagement_id"], flow_id))
        conn.execute("insert into flowstate.flows (flow_id, flow_type, client_account_id, engagement_id, user_id,"
                     " flow_version, current_phase, phases_completed, status, state_data, checkpoints, created_at,"
                     " updated_at) values (%s, 'crewai', %s, %s, %s, 1, 'work', '{}', 'running', '{\"secret\": 2}', %s,"
                     " '2026-01-05', '2026-01-05')",
                     (flow_id, tenant[2]["client_account_id"], tenant[2]["engagement_id"], tenant[2]["user_id"],
                      json.dumps([{"id": b_checkpoint}])))

    assert schema.upgrade(dsn)["migrations_applied"] == ["0009_flow_generations"]

    with psycopg.connect(dsn, autocommit=True) as conn:
        generations = conn.execute(
            "select array_agg(generation order by audit_id) from flowstate.audit_log"
            " union all select array_agg(generation order by created_at) from flowstate.checkpoints"
            " union all select array_agg(generation) from flowstate.quarantine"
            " union all select array_agg(generation) from flowstate.migration_ledger"
            " union all select array_agg(generation) from flowstate.flows").fetchall()
        assert [g for (g,) in generations] == [[-1, -1, -1, -1, 0, 0], [-1, 0], [-1], [-1], [0]]
        b = json.dumps(tenant[2])
        history = conn.execute("select operation from flowstate.flow_history(%s, %s)", (flow_id, b)).fetchall()
        assert history == [("create",), ("checkpoint",)]
        # A's checkpoint was taken before B's version 1, yet is not B's.
        state = conn.execute("select flowstate.flow_state_at(%s, 1, %s)", (flow_id, b)).fetchone()[0]
        assert state["checkpoints"] == []
        with pytest.raises(psycopg.Error) as refused:
            conn.execute("select flowstate.flow_recover_from_checkpoint(%s, %s, null, %s)",
                         (flow_id, a_checkpoint, b))
        assert refused.value.sqlstate == "FS006"
        new_flow = str(uuid.uuid4())
        conn.execute("select flowstate.flow_save_state(%s, %s, null, %s)", (new_flow, json.dumps(
            {"flow_id": new_flow, "current_phase": "data_import", "phases_completed": [], "state_data": {}}), b))
        generation = conn.execute("select generation from flowstate.flows where flow_id = %s", (new_flow,)).fetchone()
        assert generation[0] >= 1
def test_the_text_limits_migration_trims_long_checkpoint_lists(fresh_database, db_copy):
    """0011 adds the limits as settings and bounds the checkpoints list a document carries: a
    store from before it, whose flow lists 14 checkpoints, keeps the newest 10 in the document,
    every checkpoint in flowstate.checkpoints (flow_checkpoints lists all 14), and its audit
    trail untouched (the state did not change)."""
    dsn = fresh_database(migrated=False)
    (db_copy / "migrations" / "0011_text_limits.sql").unlink()
    schema.upgrade(dsn, db_dir=db_copy)
    ctx = ('{"client_account_id": "11111111-1111-1111-1111-111111111111", '
           '"engagement_id": "22222222-2222-2222-2222-222222222222", '
           '"user_id": "33333333-3333-3333-3333-333333333333"}')
    flow_id = "aaaaaaaa-0000-0000-0000-000000000011"
    doc = f'{{"flow_id": "{flow_id}", "current_phase": "data_import", "phases_completed": [], "state_data": {{"n": 1}}}}'
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("select flowstate.flow_save_state(%s, %s, null, %s)", (flow_id, doc, ctx))
        # As the functions before 0011 left it: every checkpoint in the document's list.
        with conn.transaction():
            conn.execute("set local session_replication_role = replica")
            conn.execute("""
                insert into flowstate.checkpoints (flow_id, generation, phase, label, flow_version, snapshot, created_at)
                select f.flow_id, f.generation, 'data_import', 'cp ' || n, 1, '{}', now() + make_interval(secs => n)
                  from flowstate.flows f, generate_series(1, 14) n where f.flow_id = %s""", (flow_id,))
            conn.execute("""
                update flowstate.flows f set checkpoints = (
                  select jsonb_agg(jsonb_build_object('id', c.checkpoint_id, 'phase', c.phase, 'label', c.label,
                                                      'flow_version', c.flow_version,
                                                      'created_at', flowstate._iso(c.created_at)) order by c.created_at)
                    from flowstate.checkpoints c where c.flow_id = f.flow_id)""")
        audit = conn.execute("select jsonb_agg(to_jsonb(a) order by audit_id) from flowstate.audit_log a").fetchone()

    assert schema.upgrade(dsn)["migrations_applied"] == ["0011_text_limits"]

    with psycopg.connect(dsn, autocommit=True) as conn:
        loaded = conn.execute("select flowstate.flow_load_state(%s, %s)", (flow_id, ctx)).fetchone()[0]
        assert [c["label"] for c in loaded["checkpoints"]] == [f"cp {n}" for n in range(5, 15)]
        page = conn.execute("select flowstate.flow_checkpoints(%s, %s, p_limit => 20)", (flow_id, ctx)).fetchone()[0]
        assert [c["label"] for c in page["checkpoints"]] == [f"cp {n}" for n in range(14, 0, -1)]
        assert conn.execute("select jsonb_agg(to_jsonb(a) order by audit_id) from flowstate.audit_log a").fetchone() == audit
        assert conn.execute("select value from flowstate.settings where name = 'max_label_bytes'").fetchone() == (1024,)


def test_the_quarantine_tenants_migration_gives_each_document_its_flows_tenant(fresh_database, db_copy):
    """0015 records the tenant on quarantined documents: one archived before it (as the
    functions then wrote it, without one) takes its flow's tenant and is counted in that
    tenant's overview; one whose flow is gone keeps none."""
    dsn = fresh_database(migrated=False)
    (db_copy / "migrations" / "0015_quarantine_tenants.sql").unlink()
    schema.upgrade(dsn, db_dir=db_copy)
    tenant = {"client_account_id": "11111111-1111-1111-1111-111111111115",
              "engagement_id": "22222222-2222-2222-2222-222222222215"}
    ctx = json.dumps({**tenant, "user_id": "33333333-3333-3333-3333-333333333333"})
    flow_id = "aaaaaaaa-0000-0000-0000-000000000015"
    doc = f'{{"flow_id": "{flow_id}", "current_phase": "data_import", "phases_completed": [], "state_data": {{}}}}'
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("select flowstate.flow_save_state(%s, %s, null, %s)", (flow_id, doc, ctx))
        for archived in (flow_id, str(uuid.uuid4())):  # the second: a flow that is gone
            conn.execute("insert into flowstate.quarantine (flow_id, generation, flow_version, document, errors)"
                         " values (%s, 1, 1, '{}', '{}')", (archived,))

    assert schema.upgrade(dsn)["migrations_applied"] == ["0015_quarantine_tenants"]

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("select flow_id::text, client_account_id::text, engagement_id::text"
                            " from flowstate.quarantine order by flow_id = %s desc", (flow_id,)).fetchall()
        assert rows[0] == (flow_id, tenant["client_account_id"], tenant["engagement_id"])
        assert rows[1][1:] == (None, None)
        activity = conn.execute("select flowstate.flow_activity(%s)", (ctx,)).fetchone()[0]
        assert activity["quarantined"]["documents"] == 1


def test_failing_migration_is_named_and_not_recorded(fresh_database, db_copy):
    dsn = fresh_database()
    (db_copy / "migrations" / "9999_broken.sql").write_text(
        f"-- depends: {MIGRATION_IDS[-1]}\ncreate table flowstate.upgrade_probe (id int);\n"
        "create table flowstate.upgrade_probe (id int);\n")
    with pytest.raises(schema.UpgradeError, match="migration 9999_broken: .*already exists"):
        schema.upgrade(dsn, db_dir=db_copy)
    assert schema.status(dsn, db_dir=db_copy)["migrations"]["pending"] == ["9999_broken"]
    with psycopg.connect(dsn) as conn:  # each migration is one transaction
        assert conn.execute("select to_regclass('flowstate.upgrade_probe')").fetchone() == (None,)


def test_concurrent_upgrades_of_an_empty_database_both_succeed(fresh_database):
    dsn = fresh_database(migrated=False)
    start = threading.Barrier(2)
    reports, errors = [], []

    def run():
        start.wait()
        try:
            reports.append(schema.upgrade(dsn))
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
    assert schema.status(dsn)["up_to_date"] is True


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
    (db_copy / "functions" / "api" / "zzz_broken.sql").write_text("select from;\n")
    monkeypatch.setattr(schema, "find_db_dir", lambda: db_copy)
    result = CliRunner().invoke(main, ["db", "upgrade", "--dsn", dsn, "--force"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "pgflowstate: error: db/functions/api/zzz_broken.sql: line 1: syntax error at or near \";\""
        " (SQLSTATE 42601)"]
