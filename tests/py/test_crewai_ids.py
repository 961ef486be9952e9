"""CrewAI ids and finished flows, as operators and CrewAI users see them: the CLI takes a flow
id as CrewAI knows it, the backend records the flow's class and marks finished flows, and
`pgflowstate ls` finds one class's unfinished flows. Real CrewAI flows, real PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
from crewai_flows import (  # noqa: F401 (fixtures)
    build_flows,
    crewai_dsn,
    document,
    history,
    new_persistence,
    persistence,
    sql,
)
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
    assert [e["label"] for e in json.loads(history.stdout)["entries"]] == [
        "begin", "classify", "handle_small", "finish", "_flow_finished"]

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


# -- the class and finished flows -----------------------------------------------------------


def metadata(backend, crewai_id: str) -> dict:
    meta = document(backend, crewai_id)["metadata"]
    return {k: v for k, v in meta.items() if k.startswith("crewai_")}


def test_every_save_records_the_class_and_a_finished_flow_is_marked(persistence):
    flows = build_flows(persistence)
    pipeline = run_pipeline(persistence, "pipe-1")
    assert metadata(persistence, "pipe-1") == {"crewai_class": "PipelineFlow", "crewai_finished": True}
    doc = document(persistence, "pipe-1")
    assert doc["status"] == "running" and doc["current_phase"] == "finish"
    assert persistence.load_state("pipe-1") == pipeline.state.model_dump(mode="json")
    labels = [h["label"] for h in history(persistence, "pipe-1")]
    assert labels == ["begin", "classify", "handle_small", "finish", "_flow_finished"]
    assert [h["crewai_class"] for h in step_metadata(persistence, "pipe-1")[:4]] == ["PipelineFlow"] * 4

    dict_flow = flows.DictFlow()  # @persist on one method only
    dict_flow.kickoff()
    assert metadata(persistence, dict_flow.state["id"]) == {"crewai_class": "DictFlow", "crewai_finished": True}


def step_metadata(backend, crewai_id: str) -> list[dict]:
    """The metadata of every version, oldest first."""
    flow_id = backend.flow_id(crewai_id)
    versions = document(backend, crewai_id)["flow_version"]
    return [json.loads(sql(backend.dsn, "select flowstate.flow_state_at($1, $2, $3::jsonb)::text as d",
                           flow_id, v, backend._context)[0]["d"])["metadata"] for v in range(1, versions + 1)]


def test_an_interrupted_flow_is_unfinished_and_a_finished_one_can_run_again(persistence):
    flows = build_flows(persistence)
    broken = flows.ResumableFlow()
    broken.crash_at, broken.fail = "three", "raise"
    with pytest.raises(Exception, match="step three failed"):
        broken.kickoff(inputs={"id": "job-9"})
    assert metadata(persistence, "job-9") == {"crewai_class": "ResumableFlow", "crewai_finished": False}

    assert flows.ResumableFlow().kickoff(inputs={"id": "job-9"}) == ["one", "two", "three", "four"]
    assert metadata(persistence, "job-9")["crewai_finished"] is True
    version = document(persistence, "job-9")["flow_version"]

    # Finished is not terminal: CrewAI kicks it off again with its id, as SQLite allows.
    assert flows.ResumableFlow().kickoff(inputs={"id": "job-9"}) == ["one", "two", "three", "four"]
    assert document(persistence, "job-9")["flow_version"] > version
    assert metadata(persistence, "job-9")["crewai_finished"] is True


def test_a_paused_flow_is_unfinished_until_it_resumes_and_finishes(persistence):
    flows = build_flows(persistence)
    paused = flows.ReviewFlow().kickoff()
    flow_uuid = paused.context.flow_id
    assert document(persistence, flow_uuid)["status"] == "paused"
    assert metadata(persistence, flow_uuid) == {"crewai_class": "ReviewFlow", "crewai_finished": False}

    assert flows.ReviewFlow.from_pending(flow_uuid, persistence).resume("approved") == "published"
    assert metadata(persistence, flow_uuid) == {"crewai_class": "ReviewFlow", "crewai_finished": True}
    assert document(persistence, flow_uuid)["status"] == "running"


def test_raise_mode_runs_a_finished_flow_again(crewai_dsn):
    backend = new_persistence(crewai_dsn, on_conflict="raise")
    try:
        run_pipeline(backend, "strict-1")
        run_pipeline(backend, "strict-1")  # expects the finish mark's version, not the last save's
        assert metadata(backend, "strict-1")["crewai_finished"] is True
    finally:
        backend.close()


def test_a_terminal_phase_in_phase_map_is_refused_at_once(crewai_dsn):
    with pytest.raises(ValueError, match="maps 'finish' to 'completed', a terminal phase") as refused:
        new_persistence(crewai_dsn, phase_map={"begin": "intake", "finish": "completed"})
    assert "metadata.crewai_finished" in str(refused.value)
    with pytest.raises(ValueError, match="'failed', a terminal phase"):
        new_persistence(crewai_dsn, phase_map={"finish": "failed"})


# -- finding them -----------------------------------------------------------------------------


def test_ls_finds_one_class_s_unfinished_and_finished_flows(persistence, app_dsn):
    flows = build_flows(persistence)
    run_pipeline(persistence, "done-1")
    broken = flows.ResumableFlow()
    broken.crash_at, broken.fail = "two", "raise"
    with pytest.raises(Exception, match="step two failed"):
        broken.kickoff(inputs={"id": "stuck-1"})
    paused = flows.ReviewFlow().kickoff().context.flow_id
    tenant = ["--dsn", app_dsn, *tenant_of(persistence)]

    def listed(*options: str) -> set[str]:
        result = cli("ls", *tenant, *options, "--json")
        assert result.returncode == 0, result.stderr
        return {f["flow_id"] for f in json.loads(result.stdout)["flows"]}

    ids = {name: str(persistence.flow_id(name)) for name in ("done-1", "stuck-1", paused)}
    assert listed("--unfinished") == {ids["stuck-1"], ids[paused]}
    assert listed("--crewai-class", "ResumableFlow", "--unfinished") == {ids["stuck-1"]}
    assert listed("--crewai-class", "PipelineFlow", "--finished") == {ids["done-1"]}
    assert listed("--crewai-class", "PipelineFlow", "--unfinished") == set()
    assert listed("--crewai-class", "ReviewFlow", "--status", "paused") == {ids[paused]}


# -- a CrewAI id is mapped once per backend ---------------------------------------------------


def test_a_crewai_id_is_mapped_once_and_each_tenant_keeps_its_own_flow(crewai_dsn):
    """flow_id_for hashes a non-UUID id with a SHA-1 in PL/pgSQL, about a third of a step's
    server time: the backend asks once per id and sends the flow id the database gave it with
    every later step and load. Two tenants' backends with the same CrewAI id still write and
    read two flows, each its own."""
    crewai_id = f"run-1-{uuid.uuid4().hex[:6]}"
    first, second = new_persistence(crewai_dsn), new_persistence(crewai_dsn)
    try:
        for n, method in enumerate(("begin", "work", "finish"), start=1):
            first.save_state(crewai_id, method, {"id": crewai_id, "n": n})
            second.save_state(crewai_id, method, {"id": crewai_id, "n": 100 * n})
        assert first.load_state(crewai_id)["n"] == 3 and second.load_state(crewai_id)["n"] == 300

        mapped = first.flow_id(crewai_id)
        assert first._flow_ids == {crewai_id: mapped} and second._flow_ids == {crewai_id: second.flow_id(crewai_id)}
        assert mapped != second.flow_id(crewai_id)
        for backend, scale in ((first, 1), (second, 100)):
            entries = history(backend, crewai_id)
            assert [(e["new_version"], e["label"]) for e in entries] == [(1, "begin"), (2, "work"), (3, "finish")]
            assert document(backend, crewai_id)["state_data"]["n"] == 3 * scale
    finally:
        first.close()
        second.close()
