"""PostgresFlowPersistence with real CrewAI flows (no LLM calls), against real PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import gc
import json
import selectors
import socket
import subprocess
import sys
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from crewai_flows import (  # noqa: F401 (fixtures)
    PipelineState,
    build_flows,
    crewai_dsn,
    document,
    history,
    new_persistence,
    persistence,
    sql,
)

from pgflowstate import (
    ConcurrentModificationError,
    InvalidTransitionError,
)
from pgflowstate.connection import SetupError
from pgflowstate.crewai import PostgresFlowPersistence
from pgflowstate.crewai import persistence as persistence_module

HERE = Path(__file__).parent


def test_structured_flow_round_trips_with_router_branches(persistence):
    flows = build_flows(persistence)
    big = flows.PipelineFlow()
    big.kickoff(inputs={"size": 12})
    saved = persistence.load_state(big.state.id)
    assert saved == big.state.model_dump(mode="json")
    restored = PipelineState.model_validate(saved)
    assert restored.model_dump() == big.state.model_dump()
    assert restored.started_at == datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=timezone.utc)
    assert restored.ref == uuid.UUID(int=13) and restored.detail.seen_at == restored.started_at
    assert restored.tags == {"done", "big"}

    doc = document(persistence, big.state.id)
    assert doc["flow_type"] == "crewai" and doc["status"] == "running"
    assert doc["current_phase"] == "finish"
    assert doc["phases_completed"] == ["begin", "classify", "handle_big"]
    assert [(h["operation"], h["label"]) for h in history(persistence, big.state.id)] == [
        ("create", "begin"), ("put", "classify"), ("put", "handle_big"), ("put", "finish"),
        ("put", "_flow_finished")]  # CrewAI finished the flow: metadata.crewai_finished

    small = flows.PipelineFlow()
    small.kickoff(inputs={"size": 3})
    assert persistence.load_state(small.state.id)["steps"] == [
        "begin", "classify", "handle_small", "finish"]


def test_dict_state_with_persist_on_one_method(persistence):
    flow = build_flows(persistence).DictFlow()
    flow.kickoff()
    flow_uuid = flow.state["id"]
    assert persistence.load_state(flow_uuid) == {
        "id": flow_uuid, "items": [1, 2, 3], "when": "2026-02-01T08:30:00+00:00",
        "ref": "00000000-0000-0000-0000-000000000007", "total": 6,
        "nested": {"deep": {"list": [{"k": "v"}], "none": None, "flag": True}}, "labels": ["x"]}
    assert flow.state["after"] == "not persisted"
    assert [h["label"] for h in history(persistence, flow_uuid)] == ["enrich", "_flow_finished"]


def test_any_string_is_a_flow_id_and_stays_two_flows_per_spelling(persistence):
    lower = str(uuid.uuid4())
    upper = lower.upper()
    persistence.save_state(upper, "a", {"id": upper, "n": 1})
    persistence.save_state(lower, "a", {"id": lower, "n": 2})
    persistence.save_state("run 1 / ünïcode", "a", {"id": "run 1 / ünïcode", "n": 3})
    assert persistence.load_state(upper)["n"] == 1 and persistence.load_state(lower)["n"] == 2
    assert persistence.flow_id(lower) == uuid.UUID(lower) != persistence.flow_id(upper)
    assert persistence.load_state("run 1 / ünïcode")["n"] == 3
    assert persistence.load_state("never saved") is None
    other_tenant = new_persistence(persistence.dsn)
    try:
        assert other_tenant.load_state("run 1 / ünïcode") is None
        assert other_tenant.flow_id("run 1 / ünïcode") != persistence.flow_id("run 1 / ünïcode")
    finally:
        other_tenant.close()


def test_phase_map_names_the_phases(crewai_dsn):
    backend = new_persistence(crewai_dsn, phase_map={"begin": "intake", "classify": "triage"})
    try:
        flow = build_flows(backend).PipelineFlow()
        flow.kickoff(inputs={"size": 1})
        doc = document(backend, flow.state.id)
        assert doc["current_phase"] == "finish"
        assert doc["phases_completed"] == ["intake", "triage", "handle_small"]
        assert [h["label"] for h in history(backend, flow.state.id)] == [
            "begin", "classify", "handle_small", "finish", "_flow_finished"]
    finally:
        backend.close()


def test_a_cycle_re_enters_phases(persistence):
    for method in ["plan", "act", "check", "act", "check", "act", "done"]:
        persistence.save_state("loop", method, {"id": "loop", "last": method})
    doc = document(persistence, "loop")
    assert doc["flow_version"] == 7 and doc["current_phase"] == "done"
    assert sorted(doc["phases_completed"]) == ["act", "check", "plan"]


def test_restore_by_id_in_a_fresh_process_after_a_crash(persistence):
    flow_uuid = f"crash-{uuid.uuid4()}"
    config = persistence.model_dump_json()

    def run(crash_at: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(HERE / "crewai_flows.py"), config, flow_uuid,
                               crash_at], capture_output=True, text=True, timeout=300, cwd=HERE)

    crashed = run("three")
    assert crashed.returncode == 17, crashed.stderr[-2000:]
    assert persistence.load_state(flow_uuid)["steps"] == ["one", "two"]

    resumed = run("")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "RESULT one,two,three,four" in resumed.stdout
    assert persistence.load_state(flow_uuid)["steps"] == ["one", "two", "three", "four"]
    assert [h["label"] for h in history(persistence, flow_uuid)][-3:] == ["three", "four", "_flow_finished"]


def test_failed_flow_recovers_from_its_last_checkpoint(persistence):
    flows = build_flows(persistence)
    flow_uuid = str(uuid.uuid4())

    def attempt(crash_at: str):
        flow = flows.ResumableFlow()
        flow.crash_at, flow.fail = crash_at, "raise"
        return flow.kickoff(inputs={"id": flow_uuid})

    with pytest.raises(RuntimeError, match="step two failed"):
        attempt("two")
    persistence.create_checkpoint(flow_uuid, label="step one done")  # e.g. from a milestone
    with pytest.raises(RuntimeError, match="step three failed"):
        attempt("three")
    assert persistence.load_state(flow_uuid)["steps"] == ["one", "two"]

    # A failure handler (or an operator) marks the flow failed: saves are refused from now on.
    sql(persistence.dsn, "select flowstate.flow_transition_phase($1, 'failed', null, $2::jsonb)",
        persistence.flow_id(flow_uuid), persistence._context)
    with pytest.raises(InvalidTransitionError):
        persistence.save_state(flow_uuid, "three", {"id": flow_uuid})

    assert persistence.recover_failed(flow_uuid)["steps"] == ["one"]
    assert document(persistence, flow_uuid)["status"] == "recovered"
    assert attempt("") == ["one", "two", "three", "four"]
    assert document(persistence, flow_uuid)["status"] == "running"
    operations = [h["operation"] for h in history(persistence, flow_uuid)]
    assert operations.index("checkpoint") < operations.index("transition") < operations.index(
        "recover")


def test_ten_flows_run_concurrently_in_threads(persistence):
    flows = build_flows(persistence)
    results: dict[int, object] = {}
    errors: list[BaseException] = []

    def run(size: int) -> None:
        try:
            flow = flows.PipelineFlow()
            flow.kickoff(inputs={"size": size})
            results[size] = flow.state
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(size,)) for size in range(5, 15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and len(results) == 10
    for state in results.values():
        assert persistence.load_state(state.id) == state.model_dump(mode="json")
        assert len(history(persistence, state.id)) == 5  # four steps, then finished
    # Calls run on the calling threads: no thread of the backend's own is left running.
    assert not [t for t in threading.enumerate() if t.name.startswith("pgflowstate-crewai")]


def test_twenty_threads_lose_no_step_and_each_flow_counts_up_by_one(persistence):
    """Saves from many threads at once share the backend's few connections: every step is
    written, and each flow's versions are consecutive, in the order its thread saved them."""
    def run(n: int) -> None:
        for step in range(STEPS):
            persistence.save_state(f"flow-{n}", f"step{step}", {"id": f"flow-{n}", "step": step})

    STEPS = 12
    threads = [threading.Thread(target=run, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in range(20):
        rows = history(persistence, f"flow-{n}")
        assert [r["new_version"] for r in rows] == list(range(1, STEPS + 1))
        assert [r["label"] for r in rows] == [f"step{step}" for step in range(STEPS)]
        assert persistence.load_state(f"flow-{n}") == {"id": f"flow-{n}", "step": STEPS - 1}
    assert len(persistence._bridge._idle) <= persistence.max_connections


def test_many_threads_saving_one_flow_last_writer_wins(persistence):
    def run(n: int) -> None:
        for i in range(10):
            persistence.save_state("shared", f"m{n}", {"id": "shared", "writer": n, "i": i})

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    doc = document(persistence, "shared")
    assert doc["flow_version"] == 80
    assert persistence.load_state("shared")["i"] == 9


def test_raise_mode_refuses_writes_it_did_not_see(crewai_dsn):
    first = new_persistence(crewai_dsn, on_conflict="raise")
    second = PostgresFlowPersistence.model_validate(first.model_dump())
    try:
        first.save_state("f", "a", {"id": "f", "by": "first"})
        first.save_state("f", "b", {"id": "f", "by": "first"})
        with pytest.raises(ConcurrentModificationError) as exc:
            second.save_state("f", "c", {"id": "f", "by": "second"})  # never saw the flow
        assert (exc.value.expected, exc.value.actual) == (0, 2)
        assert second.load_state("f")["by"] == "first"
        second.save_state("f", "c", {"id": "f", "by": "second"})
        with pytest.raises(ConcurrentModificationError):
            first.save_state("f", "d", {"id": "f", "by": "first"})
        assert first.load_state("f")["by"] == "second"

        # A flow's own parallel saves through one object never conflict.
        flow = build_flows(first).PipelineFlow()
        flow.kickoff(inputs={"size": 10})
        assert first.load_state(flow.state.id)["steps"][-1] == "finish"
    finally:
        first.close()
        second.close()


def test_load_state_on_a_running_event_loop_thread(persistence):
    flows = build_flows(persistence)
    flow = flows.PipelineFlow()
    flow.kickoff(inputs={"size": 2})

    async def resume():
        assert persistence.load_state(flow.state.id)["route"] == "small"  # on the loop's thread
        again = flows.PipelineFlow()
        await again.kickoff_async(inputs={"id": flow.state.id, "size": 20})
        return again.state

    state = asyncio.run(resume())
    assert state.route == "big" and state.id == flow.state.id


def test_pending_feedback_pauses_and_resumes(persistence):
    from crewai.flow.async_feedback.types import HumanFeedbackPending

    flows = build_flows(persistence)
    paused = flows.ReviewFlow().kickoff()
    assert isinstance(paused, HumanFeedbackPending)
    flow_uuid = paused.context.flow_id
    doc = document(persistence, flow_uuid)
    assert doc["status"] == "paused" and doc["current_phase"] == "draft"

    state, context = persistence.load_pending_feedback(flow_uuid)
    assert state["steps"] == ["draft"]
    assert context.to_dict() == paused.context.to_dict()
    assert context.method_output == {"title": "Draft", "at": "2026-03-01 00:00:00+00:00"}

    resumed = flows.ReviewFlow.from_pending(flow_uuid, persistence)
    assert resumed.resume("approved") == "published"
    assert persistence.load_pending_feedback(flow_uuid) is None
    assert persistence.load_state(flow_uuid)["steps"] == ["draft", "publish"]
    assert document(persistence, flow_uuid)["status"] == "running"


def test_pending_feedback_context_round_trips_exactly(persistence):
    from crewai.flow.async_feedback.types import PendingFeedbackContext

    context = PendingFeedbackContext(
        flow_id="hitl", flow_class="app.Flow", method_name="review",
        method_output={"x": [1, 2]}, message="ok?", emit=["yes", "no"], default_outcome="no",
        metadata={"ticket": 7}, llm={"model": "none"},
        requested_at=datetime(2026, 4, 1, 9, 0, 0, 5),
        execution_uuid=str(uuid.uuid4()), trace_context=(2**127 + 3, 2**63 + 1))
    persistence.save_pending_feedback("hitl", context, PipelineState(id="hitl", size=4))
    state, loaded = persistence.load_pending_feedback("hitl")
    assert state["size"] == 4
    assert loaded == context
    persistence.clear_pending_feedback("hitl")
    assert persistence.load_pending_feedback("hitl") is None
    assert persistence.load_state("hitl")["size"] == 4


def test_set_flow_persistence_factory_makes_it_the_default(persistence):
    from crewai.flow.flow import Flow, start
    from crewai.flow.persistence import persist
    from crewai.flow.persistence.factory import set_flow_persistence_factory

    set_flow_persistence_factory(lambda: persistence)
    try:
        @persist()
        class BareFlow(Flow[PipelineState]):
            @start()
            def only(self):
                self.state.size = 42
    finally:
        set_flow_persistence_factory(None)
    flow = BareFlow()
    flow.kickoff()
    assert persistence.load_state(flow.state.id)["size"] == 42


def test_rebuilds_from_a_dict_as_crewai_does(persistence):
    from crewai.flow.persistence.base import _persistence_registry
    from crewai.flow.runtime import _resolve_persistence

    assert _persistence_registry["PostgresFlowPersistence"] is PostgresFlowPersistence
    dumped = json.loads(json.dumps(persistence.model_dump(mode="json")))
    rebuilt = _resolve_persistence(dumped)
    try:
        assert isinstance(rebuilt, PostgresFlowPersistence)
        assert rebuilt.model_dump() == persistence.model_dump()
        persistence.save_state("shared-config", "a", {"id": "shared-config"})
        assert rebuilt.load_state("shared-config") == {"id": "shared-config"}
        # @persist(a dict): CrewAI resolves it by persistence_type, as for declarative flows.
        flow = build_flows(dumped).PipelineFlow()
        flow.kickoff(inputs={"size": 1})
        assert persistence.load_state(flow.state.id)["route"] == "small"
        for backend in flow._persist_backends.values():
            backend.close()
        copied = copy.deepcopy(persistence)  # its own connections, the same settings
        assert copied.load_state(flow.state.id)["route"] == "small"
        copied.close()
    finally:
        rebuilt.close()


def test_bad_input_is_refused_clearly(crewai_dsn, persistence):
    with pytest.raises(SetupError, match="client_account_id must be a UUID"):
        PostgresFlowPersistence(dsn=crewai_dsn, client_account_id="nope", engagement_id="x",
                                user_id="y")
    with pytest.raises(ValueError, match="BaseModel or dict"):
        persistence.save_state("list", "a", [1, 2])
    assert persistence.load_state("list") is None


def test_close_closes_the_connections_and_a_later_call_reconnects(crewai_dsn):
    backend = new_persistence(crewai_dsn)
    backend.init_db()
    bridge = backend._bridge
    [slot] = bridge._idle
    backend.close()
    assert bridge.closed and slot.loop.is_closed()
    backend.save_state("again", "a", {"id": "again"})
    second = backend._bridge
    assert second is not bridge and not second.closed
    [slot] = second._idle
    del backend
    gc.collect()
    assert second.closed and slot.loop.is_closed()


def test_a_slot_loop_looks_for_io_in_passing_without_a_system_call():
    # Each look lets go of the GIL, which busy CrewAI threads may then hold for a switch
    # interval: a look in passing (timeout 0, callbacks waiting to run) is skipped, and a
    # run of them ends in a real one, so I/O is never starved.
    reader, writer = socket.socketpair()
    selector = persistence_module._LazySelector()
    try:
        selector.register(reader, selectors.EVENT_READ)
        writer.send(b"x")
        passing = [selector.select(0) for _ in range(persistence_module._LazySelector.SKIPPED_IN_A_ROW)]
        assert passing == [[]] * persistence_module._LazySelector.SKIPPED_IN_A_ROW
        assert [key.fileobj for key, _ in selector.select(0)] == [reader]
        assert [key.fileobj for key, _ in selector.select(None)] == [reader]
        assert [key.fileobj for key, _ in selector.select(0.5)] == [reader]
    finally:
        selector.close()
        reader.close()
        writer.close()


def test_a_persisted_step_looks_for_io_at_most_twice(crewai_dsn, monkeypatch):
    backend = new_persistence(crewai_dsn)
    backend.save_state("looks", "a", {"id": "looks"})  # connected, statements prepared
    looks = []
    real = selectors.DefaultSelector.select
    monkeypatch.setattr(selectors.DefaultSelector, "select", lambda self, timeout=None: looks.append(timeout) or real(self, timeout))
    try:
        for n in range(5):
            backend.save_state("looks", f"step_{n}", {"id": "looks", "n": n})
    finally:
        backend.close()
    assert len(looks) <= 2 * 5, looks


def test_a_slot_keeps_its_connection_and_replaces_a_lost_one(crewai_dsn):
    # Taking the connection from the pool and giving it back cost each call more Python than
    # the rest of its client side, all of it holding the GIL CrewAI's threads wait for: a slot
    # holds its connection between calls, and a lost one is replaced, the step applied once.
    backend = new_persistence(crewai_dsn)
    try:
        backend.save_state("held", "a", {"id": "held", "n": 0})
        [slot] = backend._bridge._idle
        held = slot.held
        server_pid = backend._call("fetchval", "select pg_backend_pid()")
        for n in range(1, 4):
            backend.save_state("held", f"step_{n}", {"id": "held", "n": n})
        assert backend._call("fetchval", "select pg_backend_pid()") == server_pid
        assert held is not None and slot.held is held, "the same connection, never given back"

        [ended] = sql(crewai_dsn, "select pg_terminate_backend($1) as ended", server_pid)
        assert ended["ended"]
        backend.save_state("held", "after", {"id": "held", "n": 4})
        assert backend._call("fetchval", "select pg_backend_pid()") != server_pid
        assert slot.held is not held and not slot.held.is_closed(), "a new connection in its place"
        assert [(h["new_version"], h["label"]) for h in history(backend, "held")] == [
            (1, "a"), (2, "step_1"), (3, "step_2"), (4, "step_3"), (5, "after")]
        assert backend.load_state("held") == {"id": "held", "n": 4}
    finally:
        backend.close()
