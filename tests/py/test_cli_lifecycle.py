"""The lifecycle commands, run as a user runs them (a subprocess), against a real server: ls,
fork, delete and retention run|show. They present what the wrapper and the SQL functions
return; bad input is the database's FS001 listing every problem (exit 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from flowdocs import new_context, new_doc
from pgflowstate import FlowErasedError, FlowStateStore
from test_cli_ops import admin_fetchval, cli, one_line_error, tenant_args
from test_lifecycle import finished_long_ago


# -- ls -------------------------------------------------------------------------------------


async def test_ls_filters_by_phase_and_metadata_and_pages_with_the_cursor(store, admin_dsn):
    flows = [uuid.uuid4() for _ in range(5)]
    for i, flow_id in enumerate(flows):
        await store.save_state(flow_id, {**new_doc(flow_id, n=i), "metadata": {"batch": i % 2, "team": "ops"}})
    await store.transition_phase(flows[0], "field_mapping")
    tenant = ["--dsn", admin_dsn, *tenant_args(store.context)]

    filtered = cli("ls", *tenant, "--phase", "data_import", "--meta", "batch=0", "--meta", "team=ops",
                   "--since", "1h", "--json")
    assert filtered.returncode == 0, filtered.stderr
    page = json.loads(filtered.stdout)
    assert {f["flow_id"] for f in page["flows"]} == {str(flows[2]), str(flows[4])} and page["next"] is None

    human = cli("ls", *tenant, "--type", "discovery", "--status", "running")
    assert human.returncode == 0, human.stderr
    header, rule, *rows = human.stdout.splitlines()
    assert header.split() == ["flow", "id", "type", "phase", "status", "version", "updated", "(UTC)"]
    assert len(rows) == 5 and rows[0].split()[:5] == [str(flows[0]), "discovery", "field_mapping", "running", "2"]

    seen, after = [], []
    while True:
        result = cli("ls", *tenant, "--limit", "2", *after)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        nexts = [line.split()[1] for line in lines if line.startswith("next: ")]
        seen += [line.split()[0] for line in lines[2:] if not line.startswith("next: ")]
        if not nexts:
            break
        after = ["--after", nexts[0]]
    assert sorted(seen) == sorted(str(f) for f in flows) and len(seen) == 5


async def test_ls_quarantined_lists_the_tenants_quarantined_flows_and_not_quarantined_the_rest(
        store, app_pool, admin_dsn):
    other_store = FlowStateStore(app_pool, new_context())
    quarantined, clean, theirs = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for flow_id in (quarantined, clean):
        await store.save_state(flow_id, new_doc(flow_id))
    await other_store.save_state(theirs, new_doc(theirs))
    await store.handle_corrupted(quarantined)
    await other_store.handle_corrupted(theirs)
    tenant = ["--dsn", admin_dsn, *tenant_args(store.context)]

    listed = {}
    for flag in ("--quarantined", "--not-quarantined"):
        result = cli("ls", *tenant, flag, "--json")
        assert result.returncode == 0, result.stderr
        listed[flag] = [f["flow_id"] for f in json.loads(result.stdout)["flows"]]
    assert listed == {"--quarantined": [str(quarantined)], "--not-quarantined": [str(clean)]}


async def test_ls_of_another_tenant_or_an_unmatched_filter_finds_nothing(store, admin_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    result = cli("ls", "--dsn", admin_dsn, *tenant_args(store.context), "--external-id", "nobody")
    assert (result.returncode, result.stdout.strip()) == (0, "no flows match")


def test_ls_bad_input_is_fs001_listing_every_problem(admin_dsn):
    result = cli("ls", "--dsn", admin_dsn, "--status", "asleep", "--limit", "0")
    assert result.returncode == 1
    line = one_line_error(result)
    assert "Filter status must be one of running" in line and "p_limit must be between 1 and 1000" in line
    assert line.endswith("[FS001]")

    malformed = cli("ls", "--dsn", admin_dsn, "--meta", "no-equals-sign")
    assert malformed.returncode == 2 and "expected key=value" in malformed.stderr


# -- fork -----------------------------------------------------------------------------------


async def test_fork_at_an_old_version_then_show_the_fork(store, admin_dsn):
    parent, child = uuid.uuid4(), uuid.uuid4()
    await store.save_state(parent, new_doc(parent, step=1))
    await store.save_state(parent, new_doc(parent, step=2), version=1)
    tenant = ["--dsn", admin_dsn, *tenant_args(store.context)]

    forked = cli("fork", str(parent), "--version", "1", "--new-id", str(child), *tenant, "--json")
    assert forked.returncode == 0, forked.stderr
    doc = json.loads(forked.stdout)
    assert (doc["flow_id"], doc["flow_version"]) == (str(child), 1)
    assert doc["forked_from"] == {"flow_id": str(parent), "flow_version": 1}

    shown = cli("show", str(child), *tenant, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["state_data"] == {"step": 1}
    listed = json.loads(cli("ls", *tenant, "--parent", str(parent), "--json").stdout)
    assert [f["flow_id"] for f in listed["flows"]] == [str(child)]

    missing = cli("fork", str(parent), "--version", "9", *tenant)
    assert missing.returncode == 1 and one_line_error(missing).endswith("[FS004]")


# -- delete ---------------------------------------------------------------------------------


async def test_delete_with_yes_prints_the_tombstone_and_a_late_write_is_refused(store, admin_dsn):
    flow_id, other = uuid.uuid4(), uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, secret="x"))
    await store.save_state(other, new_doc(other))
    tenant = ["--dsn", admin_dsn, *tenant_args(store.context)]

    deleted = cli("delete", str(flow_id), "--reason", "user asked", "--yes", *tenant)
    assert deleted.returncode == 0, deleted.stderr
    assert f"erased       {flow_id} (delete" in deleted.stdout
    assert "reason       user asked" in deleted.stdout and "flows 1" in deleted.stdout
    assert await admin_fetchval(admin_dsn, "select count(*) from flowstate.flows where flow_id = $1", flow_id) == 0

    with pytest.raises(FlowErasedError):
        await store.put_state(flow_id, new_doc(flow_id), label="late")
    late_fork = cli("fork", str(other), "--new-id", str(flow_id), *tenant)  # a write under the erased id
    assert late_fork.returncode == 1 and one_line_error(late_fork).endswith("[FS008]")
    again = cli("delete", str(flow_id), "--reason", "twice", "--yes", *tenant, "--json")
    assert again.returncode == 1 and "Traceback" not in again.stderr


async def test_delete_without_yes_and_no_terminal_is_refused_and_deletes_nothing(store, admin_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))

    refused = cli("delete", str(flow_id), "--reason", "oops", "--dsn", admin_dsn, stdin="y\n")

    assert refused.returncode == 2 and "--yes" in one_line_error(refused)
    assert (await store.load_state(flow_id)).flow_version == 1
    assert await admin_fetchval(admin_dsn, "select count(*) from flowstate.erasures where flow_id = $1", flow_id) == 0


async def test_delete_on_a_terminal_asks_and_no_deletes_nothing(store, admin_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    main_end, terminal = os.openpty()  # stdin a terminal, as for a person typing
    try:
        os.write(main_end, b"n\n")
        answered = subprocess.run([sys.executable, "-m", "pgflowstate", "delete", str(flow_id), "--reason", "oops",
                                   "--dsn", admin_dsn], stdin=terminal, capture_output=True, text=True, timeout=120)
    finally:
        os.close(terminal)
        os.close(main_end)

    assert "Erase flow" in answered.stderr and answered.returncode == 1
    assert answered.stderr.strip().endswith("pgflowstate: error: nothing deleted")
    assert (await store.load_state(flow_id)).flow_version == 1


async def test_delete_json_is_the_tombstone_as_returned(store, admin_dsn):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    result = cli("delete", str(flow_id), "--reason", "gdpr", "--yes", "--dsn", admin_dsn, "--json")
    assert result.returncode == 0, result.stderr
    tombstone = json.loads(result.stdout)
    assert (tombstone["flow_id"], tombstone["action"], tombstone["reason"]) == (str(flow_id), "delete", "gdpr")
    assert tombstone["rows"]["flows"] == 1


# -- retention ------------------------------------------------------------------------------


async def test_retention_show_then_dry_run_then_run(fresh_database):
    dsn = fresh_database()
    empty = cli("retention", "show", "--dsn", dsn)
    assert empty.returncode == 0 and empty.stdout.startswith("no retention policies")

    ids = await finished_long_ago(dsn, 3)

    shown = cli("retention", "show", "--dsn", dsn)
    assert shown.returncode == 0, shown.stderr
    assert any(line.split()[:4] == ["(default)", "delete", "30", "days"] for line in shown.stdout.splitlines())
    policies = json.loads(cli("retention", "show", "--dsn", dsn, "--json").stdout)
    assert [(p["flow_type"], p["action"], p["after"]) for p in policies["policies"]] == [(None, "delete", "30 days")]

    planned = cli("retention", "run", "--dry-run", "--dsn", dsn)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("dry run: would delete 3, would compact 0")
    assert all(str(flow_id) in planned.stdout for flow_id in ids)
    assert await admin_fetchval(dsn, "select count(*) from flowstate.flows") == 3

    done = json.loads(cli("retention", "run", "--limit", "2", "--dsn", dsn, "--json").stdout)
    assert (done["dry_run"], done["deleted"], done["more"], done["rows"]["flows"]) == (False, 2, True, 2)
    rest = cli("retention", "run", "--dsn", dsn)
    assert rest.returncode == 0 and rest.stdout.startswith("deleted 1, compacted 0")
    assert await admin_fetchval(dsn, "select count(*) from flowstate.flows") == 0


def test_retention_is_for_admins_and_checks_its_limit(app_dsn, admin_dsn):
    as_app = cli("retention", "show", "--dsn", app_dsn)
    assert as_app.returncode == 1 and one_line_error(as_app).endswith("[FS001]")
    bad = cli("retention", "run", "--limit", "0", "--dry-run", "--dsn", admin_dsn)
    assert bad.returncode == 1 and "p_limit must be between 1 and 100000" in one_line_error(bad)
