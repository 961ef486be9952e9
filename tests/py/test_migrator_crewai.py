"""The migrator on databases written by crewai itself (pgflowstate[crewai]; no LLM anywhere).

Without crewai (the test setup installs it) these tests fail at import, loudly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import psycopg

# No telemetry, no tracing prompts (as tests/py/crewai_flows.py).
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")

from crewai.flow.async_feedback.types import PendingFeedbackContext  # noqa: E402
from crewai.flow.flow import Flow, listen, router, start  # noqa: E402
from crewai.flow.persistence import SQLiteFlowPersistence, persist  # noqa: E402

from pydantic import BaseModel, Field
from test_migrator import expected_mapping, new_context, same_json, stand_ins, table_digest, tenant_args

from pgflowstate.migrator import default_path


class ResearchState(BaseModel):
    id: str = ""
    rounds: int = 0
    score: float = 0.0
    note: str = ""
    sources: set[str] = Field(default_factory=set)
    started_at: datetime | None = None


def crewai_database(path) -> tuple[SQLiteFlowPersistence, list[str]]:
    """Flows run by CrewAI with @persist(SQLiteFlowPersistence): a router loop (methods
    re-entered), values jsonb cannot hold (NaN, \\x00, a lone surrogate), a flow resumed by id,
    a dict-state flow, and a flow paused for human feedback."""
    persistence = SQLiteFlowPersistence(str(path))

    @persist(persistence)
    class ResearchFlow(Flow[ResearchState]):
        @start()
        def plan(self):
            self.state.rounds += 1
            self.state.started_at = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)

        @router(plan)
        def decide(self):
            return "more" if self.state.rounds < 2 else "ready"

        @listen("more")
        def research(self):
            self.state.sources.add(f"source-{self.state.rounds}")
            self.state.score = float("nan") if self.state.rounds == 1 else 0.75
            self.state.note = "raw \x00 byte and a lone \ud800 surrogate"

        @listen("ready")
        def write(self):
            self.state.note = "done é 😀"

    class NotesFlow(Flow):
        @start()
        @persist(persistence)
        def take(self):
            self.state["notes"] = ["a", "b"]
            self.state["weights"] = {"x": float("inf"), "y": -0.0}

    ids = []
    for _ in range(3):
        flow = ResearchFlow()
        flow.kickoff()
        ids.append(flow.state.id)
    resumed = ResearchFlow()
    resumed.kickoff(inputs={"id": ids[0]})  # the same flow again: more rows, methods re-entered
    notes = NotesFlow()
    notes.kickoff()
    ids.append(notes.state["id"])
    context = PendingFeedbackContext(flow_id=ids[1], flow_class="ResearchFlow", method_name="write",
                                     method_output={"draft": "v1", "quality": float("nan")}, message="Approve?")
    persistence.save_pending_feedback(ids[1], context, {"id": ids[1], "rounds": 2, "note": "waiting"})
    return persistence, ids


def run(dsn: str, path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pgflowstate.migrator", str(path), "--dsn", dsn, *args],
                          capture_output=True, text=True, timeout=300)


def test_a_database_written_by_crewai_migrates_verifies_and_a_rerun_changes_nothing(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    persistence, ids = crewai_database(tmp_path / "flow_states.db")
    files_before = sorted(p.name for p in tmp_path.iterdir())

    first = run(dsn, tmp_path / "flow_states.db", "--json", *tenant_args(context))
    assert first.returncode == 0, first.stderr + first.stdout
    report = json.loads(first.stdout)
    assert report["flows_migrated"] == report["flows_total"] == len(ids)
    assert report["verified"] and report["flows_verified"] == len(ids) and not report["differences"]
    assert report["mapped"], "NaN, NUL and the lone surrogate were mapped and reported"
    digest = table_digest(dsn)

    second = run(dsn, tmp_path / "flow_states.db", "--json", *tenant_args(context))
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert (again["flows_skipped"], again["flows_migrated"], again["flows_verified"]) == (len(ids), 0, len(ids))
    assert table_digest(dsn) == digest, "the second run changed nothing"
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before

    # Each flow's current state is CrewAI's own latest state (load_state), as mapped; each
    # legacy row is kept as CrewAI wrote it.
    ctx = json.dumps(context.jsonb())
    with psycopg.connect(dsn) as conn:
        for flow_uuid in ids:
            flow_id = conn.execute("select flowstate.flow_id_for(%s, %s)", [flow_uuid, ctx]).fetchone()[0]
            state = conn.execute("select state_data from flowstate.flows where flow_id = %s", [flow_id]).fetchone()[0]
            latest = conn.execute("select state_text from flowstate.flow_legacy_history(%s, %s) order by legacy_id desc"
                                  " limit 1", [flow_id, ctx]).fetchone()[0]
            assert same_json(stand_ins(state), expected_mapping(latest.encode()))
            crewai_state = persistence.load_state(flow_uuid)
            assert crewai_state["id"] == state["id"] == flow_uuid
        paused = conn.execute("select flowstate.flow_load_pending_feedback(flowstate.flow_id_for(%s, %s), %s)",
                              [ids[1], ctx, ctx]).fetchone()[0]
    stored = persistence.load_pending_feedback(ids[1])
    assert stored is not None and paused["feedback"]["method_name"] == stored[1].method_name == "write"
    assert paused["feedback"]["method_output"] == {"draft": "v1", "quality": "NaN"}


def test_the_default_path_is_where_crewai_writes(tmp_path, monkeypatch):
    from crewai_core.paths import db_storage_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("CREWAI_STORAGE_DIR", "some-project")
    assert default_path() == tmp_path / "data" / "some-project" / "flow_states.db"
    assert str(default_path()) == str(SQLiteFlowPersistence().db_path)
    assert str(default_path().parent) == db_storage_path()
