"""The operator commands, run as a user runs them (a subprocess), against a real server:
validate, show, history, diff, checkpoint, recover, stats and watch.

Exit codes: 0 ok, 1 the operation failed, 2 usage or connection error; errors are one line on
stderr, never a traceback.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid

import asyncpg
import psycopg
import psycopg.sql
import pytest

from flowdocs import new_context, new_doc
from pgflowstate import FlowStateStore, RequestContext, schema
from pgflowstate.pool import set_json_codecs
from pgflowstate.server.cluster import LocalCluster

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pgflowstate", *args], capture_output=True, text=True,
                          input=stdin, timeout=120)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pgflowstate: error: "), result.stderr
    return lines[0]


def tenant_args(context: RequestContext) -> list[str]:
    return ["--client-account-id", str(context.client_account_id), "--engagement-id",
            str(context.engagement_id), "--user-id", str(context.user_id)]


async def admin_fetchval(dsn: str, query: str, *args):
    conn = await asyncpg.connect(dsn)
    try:
        await set_json_codecs(conn)
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


async def flows_in(dsn: str, context: RequestContext, count: int = 1) -> tuple[FlowStateStore, list]:
    """``count`` new flows in the database at ``dsn`` (a superuser's), for ``context``."""
    conn = await asyncpg.connect(dsn)
    await set_json_codecs(conn)
    store = FlowStateStore(conn, context)
    ids = [uuid.uuid4() for _ in range(count)]
    for flow_id in ids:
        await store.save_state(flow_id, new_doc(flow_id, rows=10))
    return store, ids


# -- show -----------------------------------------------------------------------------------


async def test_show_prints_the_document_and_json_is_exactly_the_stored_one(store, admin_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, mappings={"hostname": "asset_name"}, score=0.97))
    await store.create_checkpoint(flow_id, label="imported")

    human = cli("show", str(flow_id), "--dsn", admin_dsn)
    assert human.returncode == 0, human.stderr
    assert f"flow         {flow_id}" in human.stdout
    assert "phase        data_import" in human.stdout and "status       running" in human.stdout
    assert "imported" in human.stdout and '"hostname": "asset_name"' in human.stdout

    as_json = cli("show", str(flow_id), "--dsn", admin_dsn, "--json")
    stored = await admin_fetchval(admin_dsn, "select flowstate.flow_load_state($1, null)", flow_id)
    assert json.loads(as_json.stdout) == stored


async def test_show_acts_as_a_tenant_when_asked(store, admin_dsn, app_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))

    mine = cli("show", str(flow_id), "--dsn", app_dsn, *tenant_args(store.context))
    assert mine.returncode == 0, mine.stderr
    other = cli("show", str(flow_id), "--dsn", app_dsn, *tenant_args(new_context()))
    assert other.returncode == 1
    assert one_line_error(other) == f"pgflowstate: error: flow {flow_id} not found"
    partial = cli("show", str(flow_id), "--dsn", admin_dsn, "--user-id", str(uuid.uuid4()))
    assert partial.returncode == 2 and "go together" in one_line_error(partial)
    no_context = cli("show", str(flow_id), "--dsn", app_dsn)
    assert no_context.returncode == 1 and "request context is required" in one_line_error(no_context)


def test_connection_and_usage_errors_exit_2(admin_dsn):
    for command in (["show", str(uuid.uuid4())], ["history", str(uuid.uuid4())], ["stats"],
                    ["validate", "--check-all"], ["watch", "--count", "1"]):
        result = cli(*command, "--dsn", UNREACHABLE)
        assert result.returncode == 2, (command, result.stderr)
        assert "cannot connect to 127.0.0.1:1/nowhere" in one_line_error(result)
    empty_id = cli("show", "", "--dsn", admin_dsn)
    assert empty_id.returncode == 2 and "Traceback" not in empty_id.stderr
    assert "expected a flow id (a UUID) or a CrewAI flow id" in empty_id.stderr
    # Any other string is a CrewAI flow id (test_crewai_ids.py): here, no flow has it.
    unknown_id = cli("show", "not-a-uuid", "--dsn", admin_dsn)
    assert unknown_id.returncode == 1 and "no flow has the CrewAI id 'not-a-uuid'" in one_line_error(unknown_id)


# -- history and diff -----------------------------------------------------------------------


async def test_history_lists_the_audit_trail_oldest_first_with_filters(store, admin_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, rows=1))
    await store.save_state(flow_id, new_doc(flow_id, rows=2), version=1)
    checkpoint_id = await store.create_checkpoint(flow_id, label="two rows")
    await store.transition_phase(flow_id, "field_mapping")

    human = cli("history", str(flow_id), "--dsn", admin_dsn)
    assert human.returncode == 0, human.stderr
    operations = [line.split()[3] for line in human.stdout.splitlines()[2:]]
    assert operations == ["create", "save", "checkpoint", "transition"]
    assert "data_import -> field_mapping" in human.stdout
    assert str(checkpoint_id) in human.stdout.splitlines()[4]  # a checkpoint row's label is its id

    def entries(*args: str) -> list[dict]:
        result = cli("history", str(flow_id), "--dsn", admin_dsn, "--json", *args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["entries"]

    assert [e["operation"] for e in entries("--operation", "checkpoint")] == ["checkpoint"]
    assert [e["new_version"] for e in entries("--limit", "2")] == [1, 2]
    assert len(entries("--since", "1h")) == 4
    assert entries("--since", "2999-01-01T00:00:00Z") == []
    none = cli("history", str(flow_id), "--dsn", admin_dsn, "--since", "2999-01-01")
    assert none.returncode == 0 and "no history rows match" in none.stdout
    bad = cli("history", str(flow_id), "--dsn", admin_dsn, "--since", "yesterday")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = cli("history", str(uuid.uuid4()), "--dsn", admin_dsn)
    assert missing.returncode == 1 and "not found" in one_line_error(missing)


async def test_diff_shows_each_changed_path_old_to_new(store, admin_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, score=0.5, mappings={"a": "x"}, drop=True))
    await store.save_state(flow_id, new_doc(flow_id, score=0.9, mappings={"a": "x", "b.c": "y"}), version=1)

    human = cli("diff", str(flow_id), "1", "2", "--dsn", admin_dsn)
    assert human.returncode == 0, human.stderr
    assert "~ state_data.score: 0.5 -> 0.9" in human.stdout
    assert '+ state_data.mappings["b.c"]: "y"' in human.stdout
    assert "- state_data.drop: true" in human.stdout

    changes = json.loads(cli("diff", str(flow_id), "1", "2", "--dsn", admin_dsn, "--json").stdout)["changes"]
    assert {"path": ["state_data", "score"], "change": "changed", "old_value": 0.5, "new_value": 0.9} in changes

    same = cli("diff", str(flow_id), "2", "2", "--dsn", admin_dsn)
    assert same.returncode == 0 and "no differences" in same.stdout
    unknown = cli("diff", str(flow_id), "1", "9", "--dsn", admin_dsn)
    assert unknown.returncode == 1
    assert one_line_error(unknown) == (f"pgflowstate: error: flow {flow_id} has no version 9 "
                                       "(its current version is 2)")
    missing = cli("diff", str(uuid.uuid4()), "1", "2", "--dsn", admin_dsn)
    assert missing.returncode == 1 and "not found" in one_line_error(missing)


# -- checkpoint and recover -----------------------------------------------------------------


async def test_checkpoint_prints_its_id_and_recover_restores(store, admin_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, rows=1))
    made = cli("checkpoint", str(flow_id), "--dsn", admin_dsn, "--label", "imported")
    assert made.returncode == 0, made.stderr
    first = uuid.UUID(made.stdout.strip())  # nothing but the id, for scripts
    await store.transition_phase(flow_id, "field_mapping")
    second = json.loads(cli("checkpoint", str(flow_id), "--dsn", admin_dsn, "--json").stdout)["checkpoint_id"]
    loaded = await store.load_state(flow_id)
    assert [(c.id, c.phase, c.label) for c in loaded.checkpoints] == [
        (first, "data_import", "imported"), (uuid.UUID(second), "field_mapping", None)]

    await store.transition_phase(flow_id, "failed")
    recovered = cli("recover", str(flow_id), "--dsn", admin_dsn)
    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout.strip() == (f"flow {flow_id} recovered from checkpoint {second}: "
                                        "version 4, phase field_mapping, status recovered")

    chosen = cli("recover", str(flow_id), "--checkpoint", str(first), "--dsn", admin_dsn, "--json")
    result = json.loads(chosen.stdout)
    assert result["checkpoint_id"] == str(first)
    assert result["document"]["current_phase"] == "data_import" and result["document"]["flow_version"] == 5
    assert result["document"] == await admin_fetchval(admin_dsn, "select flowstate.flow_load_state($1, null)", flow_id)

    unknown = cli("recover", str(flow_id), "--checkpoint", str(uuid.uuid4()), "--dsn", admin_dsn)
    assert unknown.returncode == 1 and "[FS006]" in one_line_error(unknown)
    bare = uuid.uuid4()
    await store.save_state(bare, new_doc(bare))
    none = cli("recover", str(bare), "--dsn", admin_dsn)
    assert none.returncode == 1
    assert "The flow has no checkpoints. [FS006]" in one_line_error(none)
    missing = cli("checkpoint", str(uuid.uuid4()), "--dsn", admin_dsn)
    assert missing.returncode == 1 and "[FS004]" in one_line_error(missing)


# -- validate -------------------------------------------------------------------------------


async def test_validate_check_all_lists_invalid_flows_and_exits_1(fresh_database, app_dsn):
    dsn = fresh_database()
    store, (good, bad) = await flows_in(dsn, new_context(), 2)
    ok = cli("validate", "--check-all", "--dsn", dsn)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "checked 2 flows: all valid"

    await store._pool.execute("update flowstate.flows set current_phase = 'no_such_phase' where flow_id = $1", bad)
    await store._pool.close()
    found = cli("validate", "--check-all", "--dsn", dsn)
    assert found.returncode == 1
    assert found.stdout.splitlines()[:2] == ["checked 2 flows: 1 invalid", str(bad)]
    assert "no_such_phase" in found.stdout
    report = json.loads(cli("validate", "--check-all", "--dsn", dsn, "--json").stdout)
    assert report["valid"] is False and [f["flow_id"] for f in report["invalid"]] == [str(bad)]

    as_module = subprocess.run([sys.executable, "-m", "pgflowstate.validator", "--check-all", "--dsn", dsn],
                               capture_output=True, text=True)
    assert as_module.returncode == 1 and as_module.stdout == found.stdout

    not_admin = cli("validate", "--check-all", "--dsn", app_dsn)
    assert not_admin.returncode == 1 and "[FS001]" in one_line_error(not_admin)


def test_validate_a_document_file(admin_dsn, tmp_path):
    flow_id = str(uuid.uuid4())
    good = tmp_path / "good.json"
    good.write_text(json.dumps(new_doc(flow_id)))
    assert cli("validate", str(good), "--dsn", admin_dsn).stdout.strip() == "valid"

    bad = cli("validate", "-", "--dsn", admin_dsn, "--json",
              stdin=json.dumps({"flow_id": flow_id, "current_phase": "data_import", "phases_completed": ["data_import"]}))
    assert bad.returncode == 1
    assert len(json.loads(bad.stdout)["errors"]) >= 2  # every error at once
    garbage = cli("validate", "-", "--dsn", admin_dsn, stdin="{not json")
    assert garbage.returncode == 1 and "not valid JSON" in garbage.stdout
    neither = cli("validate", "--dsn", admin_dsn)
    assert neither.returncode == 2 and "--check-all or a DOCUMENT" in one_line_error(neither)


# -- stats ----------------------------------------------------------------------------------


async def test_stats_reports_flows_audit_checkpoints_and_quarantine(fresh_database):
    dsn = fresh_database()
    store, (a, b, c) = await flows_in(dsn, new_context(), 3)
    await store.transition_phase(a, "field_mapping")
    await store.create_checkpoint(b)
    await store.transition_phase(b, "failed")
    await store.handle_corrupted(c)
    audit_rows = await store._pool.fetchval("select count(*) from flowstate.audit_log")
    await store._pool.close()

    result = cli("stats", "--dsn", dsn, "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["flows"] == [
        {"flow_type": "discovery", "current_phase": "data_import", "status": "running", "flows": 1},
        {"flow_type": "discovery", "current_phase": "failed", "status": "failed", "flows": 1},
        {"flow_type": "discovery", "current_phase": "field_mapping", "status": "running", "flows": 1},
    ]
    assert stats["flows_total"] == 3
    assert stats["audit_rows"] == stats["audit_rows_24h"] == audit_rows
    assert stats["audit_bytes"] > 0 and stats["audit_bytes_24h"] > 0
    assert (stats["checkpoints"], stats["quarantined"], stats["quarantined_24h"]) == (1, 1, 1)
    assert stats["functions"]["track_functions"] == "none" and "track_functions" in stats["functions"]["note"]
    assert stats["statements"]["installed"] is False

    human = cli("stats", "--dsn", dsn).stdout
    assert "flows: 3" in human and f"audit trail: {audit_rows} rows" in human
    assert "checkpoints: 1" in human and "quarantined: 1 (1 in the last 24 h)" in human
    assert "track_functions is off" in human and "pg_stat_statements is not installed" in human


async def test_stats_lists_the_slowest_functions_when_they_are_tracked(fresh_database, pg_server):
    dsn = fresh_database()
    name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    pg_server.execute(psycopg.sql.SQL("alter database {} set track_functions = 'pl'").format(psycopg.sql.Identifier(name)))
    store, ids = await flows_in(dsn, new_context(), 3)  # a new session: tracked
    await store.load_state(ids[0])
    await store._pool.execute("select pg_stat_force_next_flush()")  # flushed before it returns
    await store._pool.close()

    stats = json.loads(cli("stats", "--dsn", dsn, "--json").stdout)["functions"]
    assert stats["track_functions"] == "pl" and stats["note"] is None
    calls = {f["function"]: f["calls"] for f in stats["slowest"]}
    assert calls["flow_save_state"] == 3 and calls["flow_load_state_parts"] == 1
    human = cli("stats", "--dsn", dsn).stdout
    assert "flow_save_state" in human.split("slowest flowstate functions")[1]


def test_stats_reads_pg_stat_statements_where_it_is_loaded(pg_bin, pg_server):
    """A server of its own: pg_stat_statements must be in shared_preload_libraries."""
    with psycopg.connect(pg_server.dsn) as conn:
        available = conn.execute("select from pg_available_extensions where name = 'pg_stat_statements'").fetchone()
    # Like the embedded-server tests, this needs the local server binaries (with contrib).
    assert pg_bin is not None and available is not None, \
        "needs local PostgreSQL server binaries with pg_stat_statements (postgresql-15 has both)"
    with LocalCluster(pg_bin=pg_bin) as cluster:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("alter system set shared_preload_libraries = 'pg_stat_statements'")
        cluster._run("pg_ctl", "restart", "-w", "-m", "fast", "-D", str(cluster.data_dir), "-l", str(cluster.log_file))
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("create database flows")
        dsn = cluster.dsn("flows")
        schema.upgrade(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create extension pg_stat_statements")
            conn.execute("select flowstate.flow_load_state(gen_random_uuid(), null)")

        stats = json.loads(cli("stats", "--dsn", dsn, "--json", "--top", "50").stdout)["statements"]
        assert stats["installed"] is True and stats["note"] is None
        assert any("flow_load_state" in s["query"] for s in stats["slowest"])
        assert not any(s["query"].lstrip().lower().startswith("create") for s in stats["slowest"]), "no DDL"
        human = cli("stats", "--dsn", dsn).stdout
        assert "flow_load_state" in human.split("pg_stat_statements")[1]


# -- watch ----------------------------------------------------------------------------------


def watching(*args: str) -> subprocess.Popen:
    """`pgflowstate watch ...`, returned once it listens (it says so on stderr).

    It gets Ctrl-C as in a terminal's foreground even when these tests run where SIGINT is
    ignored (a background job), which its children would otherwise inherit."""
    proc = subprocess.Popen([sys.executable, "-m", "pgflowstate", "watch", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = proc.stderr.readline()
    assert first.startswith("watching flowstate_alerts on "), first + proc.stderr.read()
    return proc


@pytest.mark.parametrize("as_json", [False, True])
async def test_watch_prints_each_alert_as_it_arrives(store, admin_dsn, as_json):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    checkpoint_id = await store.create_checkpoint(flow_id)
    proc = watching("--count", "2", "--dsn", admin_dsn, *(["--json"] if as_json else []))
    try:
        await store.recover_failed(flow_id)
        report = await store.handle_corrupted(flow_id)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    if as_json:
        alerts = [json.loads(line) for line in lines]
        assert [(a["event"], a["flow_id"]) for a in alerts] == [
            ("flow_recovered", str(flow_id)), ("corrupted_state_reset", str(flow_id))]
        assert alerts[0]["restored"] == str(checkpoint_id)
        assert alerts[1]["quarantine_id"] == str(report.quarantine_id)
    else:
        assert f" flow_recovered flow={flow_id} type=discovery version=2 " in lines[0]
        assert f"restored={checkpoint_id}" in lines[0]
        assert f" corrupted_state_reset flow={flow_id} " in lines[1]
        assert f"quarantine_id={report.quarantine_id}" in lines[1]


async def test_watch_with_a_tenant_prints_that_tenants_alerts_only(app_pool, app_dsn):
    mine, theirs = FlowStateStore(app_pool, new_context()), FlowStateStore(app_pool, new_context())
    flows = {store: uuid.uuid4() for store in (theirs, mine)}
    for store, flow_id in flows.items():
        await store.save_state(flow_id, new_doc(flow_id))
    tenant = [f"--{key.replace('_', '-')}={value}" for key, value in mine.context.jsonb().items()]
    proc = watching("--count", "1", "--json", "--dsn", app_dsn, *tenant)
    try:
        for store, flow_id in flows.items():  # the other tenant's alert comes first
            await store.handle_corrupted(flow_id)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    [line] = out.splitlines()
    alert = json.loads(line)
    assert (alert["flow_id"], alert["client_account_id"]) == (str(flows[mine]), str(mine.context.client_account_id))


def test_watch_stops_cleanly_on_ctrl_c(admin_dsn):
    proc = watching("--dsn", admin_dsn)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and out == ""
