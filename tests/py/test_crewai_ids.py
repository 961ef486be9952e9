"""CrewAI ids and finished flows, as operators and CrewAI users see them: the CLI takes a flow
id as CrewAI knows it, the backend records the flow's class and marks finished flows, and
`pgflowstate ls` finds one class's unfinished flows. Real CrewAI flows, real PostgreSQL."""

from __future__ import annotations

import json
import uuid

from crewai_flows import build_flows, crewai_dsn, document, new_persistence, persistence  # noqa: F401 (fixtures)
from test_cli_ops import cli, one_line_error

from pgflowstate import RequestContext


def tenant_of(backend) -> list[str]:
    context = RequestContext(client_account_id=backend.client_account_id, engagement_id=backend.engagement_id,
                             user_id=backend.user_id)
    return ["--client-account-id", str(context.client_account_id), "--engagement-id",
            str(context.engagement_id), "--user-id", str(context.user_id)]


def run_pipeline(backend, crewai_id: str, size: int = 3):
    flow = build_flows(backend).PipelineFlow()
    flow.kickoff(inputs={"id": crewai_id, "size": size})
    return flow


# -- the CLI takes CrewAI ids ---------------------------------------------------------------


def test_every_flow_command_takes_a_crewai_id_with_the_tenant(persistence, app_dsn):
    crewai_id = f"run-42-{uuid.uuid4().hex[:6]}"
    run_pipeline(persistence, crewai_id)
    flow_id = str(persistence.flow_id(crewai_id))
    tenant = ["--dsn", app_dsn, *tenant_of(persistence)]

    shown = cli("show", crewai_id, *tenant, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["flow_id"] == flow_id

    history = cli("history", crewai_id, *tenant, "--json")
    assert history.returncode == 0, history.stderr
    assert json.loads(history.stdout)["flow_id"] == flow_id
    assert [e["label"] for e in json.loads(history.stdout)["entries"]] == ["begin", "classify", "handle_small", "finish"]

    diff = cli("diff", crewai_id, "1", "2", *tenant, "--json")
    assert diff.returncode == 0, diff.stderr
    assert json.loads(diff.stdout)["flow_id"] == flow_id and json.loads(diff.stdout)["changes"]

    checkpoint = cli("checkpoint", crewai_id, "--label", "before the fix", *tenant, "--json")
    assert checkpoint.returncode == 0, checkpoint.stderr
    assert json.loads(checkpoint.stdout)["flow_id"] == flow_id

    recovered = cli("recover", crewai_id, *tenant, "--json")
    assert recovered.returncode == 0, recovered.stderr
    assert json.loads(recovered.stdout)["checkpoint_id"] == json.loads(checkpoint.stdout)["checkpoint_id"]
    assert json.loads(recovered.stdout)["document"]["flow_id"] == flow_id

    forked = cli("fork", crewai_id, "--version", "2", *tenant, "--json")
    assert forked.returncode == 0, forked.stderr
    assert json.loads(forked.stdout)["forked_from"]["flow_id"] == flow_id

    deleted = cli("delete", crewai_id, "--reason", "test", "--yes", *tenant, "--json")
    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout)["flow_id"] == flow_id
    assert persistence.load_state(crewai_id) is None


def test_a_uuid_in_another_spelling_is_a_crewai_id_and_a_canonical_one_is_itself(persistence, app_dsn):
    canonical = str(uuid.uuid4())
    upper = canonical.upper()
    run_pipeline(persistence, canonical, size=1)
    run_pipeline(persistence, upper, size=20)
    tenant = ["--dsn", app_dsn, *tenant_of(persistence)]

    as_is = json.loads(cli("show", canonical, *tenant, "--json").stdout)
    mapped = json.loads(cli("show", upper, *tenant, "--json").stdout)
    assert as_is["flow_id"] == canonical
    assert mapped["flow_id"] == str(persistence.flow_id(upper)) != canonical
    assert "handle_big" in mapped["phases_completed"] and "handle_small" in as_is["phases_completed"]


def test_without_tenant_options_a_crewai_id_is_found_by_its_external_id(crewai_dsn, admin_dsn):
    crewai_id = f"run-7-{uuid.uuid4().hex[:6]}"
    first, second = new_persistence(crewai_dsn), new_persistence(crewai_dsn)
    try:
        run_pipeline(first, crewai_id)
        shown = cli("show", crewai_id, "--dsn", admin_dsn, "--json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["flow_id"] == str(first.flow_id(crewai_id))

        run_pipeline(second, crewai_id)  # the same CrewAI id in another tenant: two flows
        both = cli("history", crewai_id, "--dsn", admin_dsn)
        assert both.returncode == 2 and "more than one tenant" in one_line_error(both)
        mine = cli("history", crewai_id, "--dsn", admin_dsn, *tenant_of(second), "--json")
        assert json.loads(mine.stdout)["flow_id"] == str(second.flow_id(crewai_id))

        nobody = cli("show", "run-nobody-" + uuid.uuid4().hex, "--dsn", admin_dsn)
        assert nobody.returncode == 1 and "no flow has the CrewAI id" in one_line_error(nobody)
    finally:
        first.close()
        second.close()


def test_an_unknown_crewai_id_of_a_tenant_is_not_found_by_name(persistence, app_dsn):
    missing = cli("show", "run-missing", "--dsn", app_dsn, *tenant_of(persistence))
    expected = persistence.flow_id("run-missing")
    assert missing.returncode == 1
    assert one_line_error(missing) == f"pgflowstate: error: flow 'run-missing' (flow {expected}) not found"
