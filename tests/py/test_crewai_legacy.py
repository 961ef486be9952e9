"""The CrewAI backend against CrewAI's own SQLite backend, and the cutover between them."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from contextlib import closing
from datetime import date, datetime, timezone

import pytest
from crewai.flow.async_feedback.types import HumanFeedbackPending
from crewai.flow.persistence import SQLiteFlowPersistence
from crewai_flows import (  # noqa: F401 (fixtures)
    Detail,
    PipelineState,
    build_flows,
    crewai_dsn,
    history,
    new_persistence,
    persistence,
    sql,
)
from crewai_sqlite import LegacyWriter

from pgflowstate import RequestContext, legacy
from pgflowstate.errors import StateError
from pgflowstate.crewai import FLAG, CutoverFlowPersistence
from pgflowstate.migrator import StateMigrator


def test_the_cutover_keeps_its_old_import_path():
    """The README named pgflowstate.legacy before the CrewAI adapter became a package."""
    assert legacy.CutoverFlowPersistence is CutoverFlowPersistence and legacy.FLAG == FLAG


def sqlite_rows(path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("select count(*) from flow_states").fetchone()[0]


def test_same_restored_states_as_sqlite(tmp_path, persistence):
    lite = SQLiteFlowPersistence(str(tmp_path / "flows.db"))
    backends = {"sqlite": lite, "postgres": persistence}
    flows = {name: build_flows(backend) for name, backend in backends.items()}
    runs = [("PipelineFlow", {"size": 3}), ("PipelineFlow", {"size": 12}), ("DictFlow", {}),
            ("ResumableFlow", {})]
    for class_name, inputs in runs:
        flow_uuid = str(uuid.uuid4())
        for name in backends:
            getattr(flows[name], class_name)().kickoff(inputs={"id": flow_uuid, **inputs})
        saved = {name: backend.load_state(flow_uuid) for name, backend in backends.items()}
        assert saved["postgres"] == saved["sqlite"] is not None
        restored = {}
        for name in backends:  # restore into a new flow, as CrewAI does on kickoff with an id
            flow = getattr(flows[name], class_name)()
            flow._restore_state(saved[name])
            restored[name] = flow.state if isinstance(flow.state, dict) else flow.state.model_dump()
        assert restored["postgres"] == restored["sqlite"]

    awkward = {"id": "awkward", "at": datetime(2026, 5, 6, 7, 8, 9, 10), "day": date(2026, 5, 6),
               "ref": uuid.UUID(int=99), "set": {3}, "tuple": (1, "a"), 7: "int key", "f": 0.1,
               "text": "é \u2028 \U0001f600 \\ \"", "model": PipelineState(id="m", detail=Detail(
                   label="x", seen_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))}
    for flow_uuid, state in [("awkward", awkward), ("big", {**awkward, "id": "big", "n": 2**70})]:
        for backend in backends.values():
            backend.save_state(flow_uuid, "m", state)
        assert persistence.load_state(flow_uuid) == lite.load_state(flow_uuid)

    paused = {name: build_flows(b).ReviewFlow().kickoff(inputs={"id": "review"})
              for name, b in backends.items()}
    assert all(isinstance(p, HumanFeedbackPending) for p in paused.values())
    (lite_state, lite_ctx), (pg_state, pg_ctx) = (b.load_pending_feedback("review")
                                                 for b in backends.values())
    assert pg_state == lite_state
    assert {**pg_ctx.to_dict(), "requested_at": None, "execution_uuid": None} == {
        **lite_ctx.to_dict(), "requested_at": None, "execution_uuid": None}


def test_cutover_walk_loses_nothing(tmp_path, crewai_dsn, monkeypatch):
    path = str(tmp_path / "legacy.db")
    before = SQLiteFlowPersistence(path)
    old_flows = build_flows(before)

    # Before the cutover: SQLite only. One flow failed half-way, one waits for a reviewer.
    active = str(uuid.uuid4())
    flow = old_flows.ResumableFlow()
    flow.crash_at, flow.fail = "three", "raise"
    with pytest.raises(RuntimeError):
        flow.kickoff(inputs={"id": active})
    review = old_flows.ReviewFlow().kickoff().context.flow_id

    # Deploy the cutover backend, flag off: SQLite stays primary, PostgreSQL mirrors.
    monkeypatch.delenv(FLAG, raising=False)
    cutover = CutoverFlowPersistence(
        sqlite_path=path, dsn=crewai_dsn, client_account_id=str(uuid.uuid4()),
        engagement_id=str(uuid.uuid4()), user_id=str(uuid.uuid4()))
    pg = cutover.postgres
    try:
        flows = build_flows(cutover)
        fresh = flows.PipelineFlow()
        fresh.kickoff(inputs={"size": 12})
        assert cutover.stats["mirrored"] == 4
        assert pg.load_state(fresh.state.id) == before.load_state(fresh.state.id)

        # The active flow carries on: its first load copies it into PostgreSQL.
        flow = flows.ResumableFlow()
        flow.crash_at, flow.fail = "four", "raise"
        with pytest.raises(RuntimeError):
            flow.kickoff(inputs={"id": active})
        assert cutover.stats["migrated"] == 1
        assert pg.load_state(active)["steps"] == ["one", "two", "three"]
        operations = [(h["operation"], h["label"]) for h in history(pg, active)]
        assert operations[0][0] == "import" and operations[1:] == [
            ("put", "one"), ("put", "two"), ("put", "three")]

        # Verify: the paused flow was never loaded, so it is missing until repaired.
        report = cutover.verify()
        assert report["missing"] == [review] and report["different"] == []
        assert cutover.verify(repair=True)["repaired"] == [review]
        assert cutover.verify() == {"flows": 3, "same": 3, "different": [], "missing": [], "unportable": []}

        # A difference (here a stray write into PostgreSQL) is counted, logged and repaired.
        pg.save_state(fresh.state.id, "stray", {"id": fresh.state.id, "size": -1})
        assert cutover.load_state(fresh.state.id)["size"] == 12
        assert cutover.stats["differences"] == 1
        assert pg.load_state(fresh.state.id)["size"] == 12

        # Flag on: PostgreSQL only, SQLite is never written again.
        late = str(uuid.uuid4())  # saved by an old worker after verification
        before.save_state(late, "zero", PipelineState(id=late))
        before.save_state(late, "one", PipelineState(id=late, steps=["one"], size=1))
        rows = sqlite_rows(path)
        monkeypatch.setenv(FLAG, "true")

        flow = flows.ResumableFlow()
        assert flow.kickoff(inputs={"id": active}) == ["one", "two", "three", "four"]
        resumed = flows.ReviewFlow.from_pending(review, cutover)
        assert resumed.resume("approved") == "published"
        flow = flows.ResumableFlow()
        assert flow.kickoff(inputs={"id": late}) == ["one", "two", "three", "four"]
        assert sqlite_rows(path) == rows
        assert cutover.stats["migrated"] == 4  # active, review, the repair, late

        # Nothing lost: every flow is in PostgreSQL, at or past its last SQLite state.
        assert pg.load_state(active)["steps"] == ["one", "two", "three", "four"]
        assert pg.load_state(review)["steps"] == ["draft", "publish"]
        assert pg.load_pending_feedback(review) is None
        assert pg.load_state(late)["steps"] == ["one", "two", "three", "four"]
        assert pg.load_state(fresh.state.id) == before.load_state(fresh.state.id)

        # A flow imported on its first load carries every legacy row, exactly: the migrator's
        # own check agrees for `late`, imported once SQLite was frozen. (The others went on
        # after their import or were mirrored, not imported; verify() above is their check.)
        report = asyncio.run(StateMigrator(crewai_dsn, RequestContext(
            client_account_id=pg.client_account_id, engagement_id=pg.engagement_id,
            user_id=pg.user_id)).verify(path))
        assert report.flows_verified >= 1
        assert late not in {d["external_id"] for d in report.differences}
        assert [h["operation"] for h in history(pg, late)][:2] == ["import", "put"]
    finally:
        pg.close()


def test_a_failing_mirror_never_stops_the_flow(tmp_path, monkeypatch):
    monkeypatch.delenv(FLAG, raising=False)
    cutover = CutoverFlowPersistence(
        sqlite_path=str(tmp_path / "f.db"), dsn="postgresql://nobody@127.0.0.1:1/none",
        client_account_id=str(uuid.uuid4()), engagement_id=str(uuid.uuid4()),
        user_id=str(uuid.uuid4()))
    flow = build_flows(cutover).PipelineFlow()
    flow.kickoff(inputs={"size": 1})
    assert cutover.load_state(flow.state.id)["route"] == "small"
    assert cutover.stats["mirror_failures"] == 5 and cutover.stats["mirrored"] == 0


def test_cutover_rebuilds_from_a_dict(tmp_path, crewai_dsn):
    from crewai.flow.runtime import _resolve_persistence

    cutover = CutoverFlowPersistence(sqlite_path=str(tmp_path / "f.db"),
                                     postgres=new_persistence(crewai_dsn), use_postgres_only=True)
    rebuilt = _resolve_persistence(cutover.model_dump(mode="json"))
    assert isinstance(rebuilt, CutoverFlowPersistence)
    assert rebuilt.model_dump() == cutover.model_dump() and rebuilt.postgres_only


# -- cutover with unusual values ---------------------------------------------------------------

def new_cutover(path, dsn) -> CutoverFlowPersistence:
    return CutoverFlowPersistence(sqlite_path=str(path), postgres=new_persistence(dsn))


def versions(backend, flow_uuid) -> int:
    return len(history(backend, flow_uuid))


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"d": value}
    return value


def test_verify_repair_reports_the_flows_it_cannot_port_and_goes_on(tmp_path, crewai_dsn):
    path = tmp_path / "legacy.db"
    writer = LegacyWriter(path)
    writer.raw("broken", "one", "2026-01-01T00:00:00+00:00", '{"id": "broken", ')
    writer.save_state("deep", "one", {"id": "deep", "tree": nested(100)})  # past max_nesting_depth
    writer.save_state("fine", "one", {"id": "fine", "n": 1})
    writer.save_state("fine", "two", {"id": "fine", "n": 2})
    writer.close()
    cutover = new_cutover(path, crewai_dsn)
    try:
        report = cutover.verify(repair=True)
        assert report["repaired"] == ["fine"]
        assert [u["flow_uuid"] for u in report["unportable"]] == ["broken", "deep"]
        assert "JSON" in report["unportable"][0]["reason"]
        assert "nest" in report["unportable"][1]["reason"].lower()
        assert cutover.postgres.load_state("fine") == {"id": "fine", "n": 2}
        assert cutover.postgres.load_state("broken") is None
        assert cutover.postgres.load_state("deep") is None
        again = cutover.verify()
        assert again["same"] == 1 and again["missing"] == ["deep"]
        assert [u["flow_uuid"] for u in again["unportable"]] == ["broken"]
    finally:
        cutover.close()


def test_a_step_postgres_missed_wins_on_the_first_flag_on_load(tmp_path, crewai_dsn, admin_dsn,
                                                                monkeypatch):
    """A mirrored save that failed (here: over a limit a DBA lowered for a moment) leaves
    PostgreSQL a step behind; the first load after the flag goes on takes SQLite's newer step."""
    monkeypatch.delenv(FLAG, raising=False)
    cutover = new_cutover(tmp_path / "legacy.db", crewai_dsn)
    pg, flow_uuid = cutover.postgres, str(uuid.uuid4())
    try:
        for steps in (["one"], ["one", "two"]):
            cutover.save_state(flow_uuid, steps[-1], PipelineState(id=flow_uuid, steps=steps, size=len(steps)))
        sql(admin_dsn, "update flowstate.settings set value = 10 where name = 'max_document_bytes'")
        try:
            cutover.save_state(flow_uuid, "three", PipelineState(
                id=flow_uuid, steps=["one", "two", "three"], size=3, route="from sqlite"))
        finally:
            sql(admin_dsn, "update flowstate.settings set value = 33554432 where name = 'max_document_bytes'")
        assert cutover.stats["mirror_failures"] == 1
        assert pg.load_state(flow_uuid)["steps"] == ["one", "two"]

        monkeypatch.setenv(FLAG, "true")
        flow = build_flows(cutover).ResumableFlow()
        assert flow.kickoff(inputs={"id": flow_uuid}) == ["one", "two", "three", "four"]
        assert flow.state.route == "from sqlite" and flow.state.size == 4
        labels = [h["label"] for h in history(pg, flow_uuid)]
        assert labels == ["one", "two", "three", "one", "two", "three", "four", "_flow_finished"]
    finally:
        cutover.close()


def test_a_newer_step_postgres_cannot_hold_stops_the_first_flag_on_load(tmp_path, crewai_dsn,
                                                                         monkeypatch):
    """Resuming from PostgreSQL's older step would lose the newer one: the load fails instead,
    naming the flow, and writes nothing."""
    monkeypatch.delenv(FLAG, raising=False)
    cutover = new_cutover(tmp_path / "legacy.db", crewai_dsn)
    pg, flow_uuid = cutover.postgres, str(uuid.uuid4())
    try:
        cutover.save_state(flow_uuid, "one", {"id": flow_uuid, "step": 1})
        cutover.save_state(flow_uuid, "two", {"id": flow_uuid, "step": 2, "tree": nested(100)})
        assert cutover.stats["mirror_failures"] == 1
        monkeypatch.setenv(FLAG, "true")
        with pytest.raises(StateError, match="nest"):
            cutover.load_state(flow_uuid)
        assert pg.load_state(flow_uuid) == {"id": flow_uuid, "step": 1}
        assert versions(pg, flow_uuid) == 1
    finally:
        cutover.close()


def test_flag_off_loads_of_a_nan_flow_write_no_new_versions(tmp_path, crewai_dsn, monkeypatch):
    monkeypatch.delenv(FLAG, raising=False)
    cutover = new_cutover(tmp_path / "legacy.db", crewai_dsn)
    pg, flow_uuid = cutover.postgres, str(uuid.uuid4())
    try:
        cutover.save_state(flow_uuid, "one", {"id": flow_uuid, "score": float("nan"), "n": 1})
        cutover.save_state(flow_uuid, "two", {"id": flow_uuid, "score": float("nan"), "n": 2})
        before = versions(pg, flow_uuid)
        for _ in range(3):
            assert cutover.load_state(flow_uuid)["n"] == 2
        cutover.verify(repair=True)
        cutover.verify(repair=True)
        assert versions(pg, flow_uuid) == before == 2
    finally:
        cutover.close()
