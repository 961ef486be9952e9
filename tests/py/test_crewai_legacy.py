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
)

from pgflowstate import RequestContext, legacy
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
        assert cutover.verify() == {"flows": 3, "same": 3, "different": [], "missing": []}

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
