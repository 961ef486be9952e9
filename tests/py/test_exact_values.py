"""Every value comes back as CrewAI's SQLite backend gives it back (issue 14): NaN, Infinity,
-0.0, floats written with an exponent, integers past 64 bits, \\u0000 and lone surrogates,
plain Enums; through the CrewAI backend, the store, pending feedback and the migrator, all on
one encoding (pgflowstate.codec.object_json)."""

from __future__ import annotations

import enum
import json
import math
import uuid
from datetime import datetime, timezone
from typing import Any

import orjson
import pytest
from crewai_flows import (  # noqa: F401 (fixtures; imported first: it turns CrewAI's telemetry off)
    DeferredReview,
    crewai_dsn,
    document,
    new_persistence,
    persistence,
    sql,
)
from crewai.flow.async_feedback.types import HumanFeedbackPending  # noqa: E402
from crewai.flow.flow import Flow, listen, start  # noqa: E402
from crewai.flow.human_feedback import human_feedback  # noqa: E402
from crewai.flow.persistence import SQLiteFlowPersistence, persist  # noqa: E402
from flowdocs import new_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field
from test_migrator import migrate, new_context

from pgflowstate import StateValidationError
from pgflowstate.codec import EXACT_KEY, crewai_state_json, object_json
from pgflowstate.crewai import PostgresFlowPersistence


class Level(enum.Enum):
    HIGH = 3
    LOW = 1


class Scores(BaseModel):
    value: float = 0.0
    values: list[float] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)


def exactly(value: Any) -> str:
    """A value as json.dumps spells it: NaN, -0.0, 1e+16 and 10000000000000000, \\u0000 all
    distinct (key order aside: jsonb does not keep it)."""
    return json.dumps(value, sort_keys=True)


@pytest.fixture
def sqlite(tmp_path):
    return SQLiteFlowPersistence(str(tmp_path / "flow_states.db"))


def both(persistence: PostgresFlowPersistence, sqlite: SQLiteFlowPersistence, state: Any) -> tuple[Any, Any]:
    """Save ``state`` through each backend under a new id; what each load_state gives back."""
    flow_uuid = str(uuid.uuid4())
    persistence.save_state(flow_uuid, "step", state)
    sqlite.save_state(flow_uuid, "step", state)
    return persistence.load_state(flow_uuid), sqlite.load_state(flow_uuid)


# -- the property: any state, the same as SQLite ------------------------------------------

SPECIAL_FLOATS = [float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1e16, 1e22, 1.5e300,
                  1.7976931348623157e308, 5e-324, 1e-7, 0.1, 123456789.125]
awkward_text = st.lists(st.sampled_from(["a", "\x00", "\ud800", "\udfff", "\ud83d\ude00", "é", "😀", '"', "\\",
                                         "NaN", "e+1", "-0.0", EXACT_KEY]), max_size=6).map("".join)
text = st.one_of(st.text(max_size=8), awkward_text)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**100), max_value=2**100),
    st.floats(), st.sampled_from(SPECIAL_FLOATS), text, st.sampled_from(list(Level)),
    st.datetimes(timezones=st.just(timezone.utc)))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4),
                            st.builds(Scores, value=st.floats(), values=st.lists(st.floats(), max_size=3))),
    max_leaves=12)
states = st.one_of(
    st.dictionaries(text, values, max_size=6),
    st.builds(Scores, value=st.floats(), values=st.lists(st.sampled_from(SPECIAL_FLOATS), max_size=4),
              extra=st.dictionaries(text, values, max_size=4)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=states)
def test_any_state_loads_as_sqlite_loads_it(persistence, sqlite, state):
    ours, theirs = both(persistence, sqlite, state)
    assert exactly(ours) == exactly(theirs)


# -- each value ------------------------------------------------------------------------------


class Measured(BaseModel):
    id: str = ""
    score: float = 0.0
    steps: list[str] = Field(default_factory=list)


def score_flow(persistence: PostgresFlowPersistence) -> type[Flow]:
    @persist(persistence)
    class ScoreFlow(Flow[Measured]):
        @start()
        def measure(self):
            if "measure" not in self.state.steps:
                self.state.steps.append("measure")
                self.state.score = float("nan")

        @listen(measure)
        def report(self):
            self.state.steps.append("report")
            return self.state.score

    return ScoreFlow


def test_nan_state_resumes_in_a_new_flow_instance(crewai_dsn):
    persistence = new_persistence(crewai_dsn)
    first = score_flow(persistence)()
    assert math.isnan(first.kickoff())
    # Another backend object, flow class and instance, as another process would have them.
    again = PostgresFlowPersistence.model_validate(persistence.model_dump())
    persistence.close()
    resumed = score_flow(again)()
    resumed.kickoff(inputs={"id": first.state.id})
    assert math.isnan(resumed.state.score)
    assert resumed.state.steps == ["measure", "report", "report"]
    again.close()


def test_a_big_int_and_nan_in_one_state(persistence, sqlite):
    ours, theirs = both(persistence, sqlite, {"big": 2**70, "nan": float("nan"), "inf": [float("inf")]})
    assert ours["big"] == 2**70 and math.isnan(ours["nan"]) and ours["inf"] == [math.inf]
    assert exactly(ours) == exactly(theirs)


def test_nul_and_lone_surrogates_in_values_and_keys(persistence, sqlite):
    state = {"text": "a\x00b", "lone": "x\ud800", "pair": "\ud83d\ude00", "key\x00": {"k": 1}}
    ours, theirs = both(persistence, sqlite, state)
    assert ours["text"] == "a\x00b" and ours["lone"] == "x\ud800" and ours["key\x00"] == {"k": 1}
    assert exactly(ours) == exactly(theirs)


def test_negative_zero_and_exponent_floats_stay_floats_in_dict_states(persistence, sqlite):
    state = {"zero": -0.0, "floats": [1e16, 1e22, 1.7976931348623157e308, 1e-7], "int": 10**16}
    ours, theirs = both(persistence, sqlite, state)
    assert math.copysign(1, ours["zero"]) == -1
    assert [type(f) for f in ours["floats"]] == [float] * 4 and ours["floats"][2] == 1.7976931348623157e308
    assert type(ours["int"]) is int
    assert exactly(ours) == exactly(theirs)


def test_a_plain_enum_is_written_the_same_whatever_else_is_in_the_state(persistence, sqlite):
    alone, theirs = both(persistence, sqlite, {"level": Level.HIGH})
    with_big_int, _ = both(persistence, sqlite, {"level": Level.HIGH, "big": 2**70})
    assert alone["level"] == with_big_int["level"] == theirs["level"] == "Level.HIGH"


def test_what_a_dba_sees_is_plain_json_with_readable_stand_ins(persistence):
    persistence.save_state("dba", "step", {"score": float("nan"), "big": 1e16, "name": "a\x00b", "ok": 1.5})
    state = document(persistence, "dba")["state_data"]
    assert (state["score"], state["big"], state["name"], state["ok"]) == ("NaN", 10**16, "a\ufffdb", 1.5)
    assert state[EXACT_KEY] == [[["score"], "NaN"], [["big"], "1e+16"], [["name"], '"a\\u0000b"']]


def test_an_ordinary_state_is_written_by_orjson_alone():
    state = {"mappings": {"a": "b"}, "scores": [0.5, 1.0], "none": None, "n": 3}
    assert object_json(state) == orjson.dumps(state).decode()
    assert EXACT_KEY not in crewai_state_json(Measured(score=0.5))


def test_a_state_with_the_reserved_key_of_its_own_keeps_it(persistence, sqlite):
    ours, theirs = both(persistence, sqlite, {EXACT_KEY: [[["x"], "1"]], "x": 2})
    assert ours == theirs == {EXACT_KEY: [[["x"], "1"]], "x": 2}


# -- pending feedback -----------------------------------------------------------------------


def test_nan_in_a_human_feedback_result_pauses_and_resumes(persistence):
    @persist(persistence)
    class ReviewScore(Flow[Measured]):
        @start()
        @human_feedback(message="Accept the score?", provider=DeferredReview())
        def score_it(self):
            self.state.score = float("nan")
            return {"score": float("nan"), "big": 2**70, "note": "a\x00b"}

        @listen(score_it)
        def done(self, result):
            self.state.steps.append(result.feedback)
            return self.state.score

    paused = ReviewScore().kickoff()
    assert isinstance(paused, HumanFeedbackPending)
    flow_uuid = paused.context.flow_id
    state, context = persistence.load_pending_feedback(flow_uuid)
    assert math.isnan(state["score"])
    output = context.method_output
    assert math.isnan(output["score"]) and output["big"] == 2**70 and output["note"] == "a\x00b"
    resumed = ReviewScore.from_pending(flow_uuid, persistence)
    assert math.isnan(resumed.resume("yes"))
    assert persistence.load_state(flow_uuid)["steps"] == ["yes"]


# -- the store: time travel, checkpoints, recovery, forks ------------------------------------


async def test_the_store_keeps_exact_values_through_history_checkpoints_recovery_and_forks(store):
    flow_id = uuid.uuid4()
    state_data = {"score": float("nan"), "zero": -0.0, "big": 1e22, "text": "a\x00b", "n": 2**70}
    doc = new_doc(flow_id, **state_data)
    saved = await store.save_state(flow_id, doc)
    checkpoint = await store.create_checkpoint(flow_id)
    loaded = await store.load_state(flow_id)
    assert exactly(loaded.state_data) == exactly(state_data)
    await store.save_state(flow_id, {**loaded.document(), "state_data": {"score": 1.0}}, version=saved.flow_version)
    assert exactly((await store.state_at(flow_id, saved.flow_version)).state_data) == exactly(state_data)
    recovered = await store.recover_from_checkpoint(flow_id, checkpoint)
    assert exactly(recovered.state_data) == exactly(state_data)
    fork = await store.fork(flow_id, version=saved.flow_version)
    assert exactly(fork.state_data) == exactly(state_data)
    other = uuid.uuid4()
    [batch] = await store.save_states([(other, {**doc, "flow_id": str(other)})])
    assert exactly(batch.state_data) == exactly(state_data)
    assert exactly((await store.load_state(other)).state_data) == exactly(state_data)


async def test_nan_outside_state_data_is_refused_naming_the_path_and_changes_nothing(store):
    flow_id = uuid.uuid4()
    doc = new_doc(flow_id)
    saved = await store.save_state(flow_id, doc)
    with pytest.raises(StateValidationError, match=r"metadata\.rate"):
        await store.save_state(flow_id, {**doc, "metadata": {"rate": float("nan"), "none": None}},
                               version=saved.flow_version)
    assert (await store.load_state(flow_id)).flow_version == saved.flow_version


# -- the migrator writes what a live save writes ---------------------------------------------


def test_the_migrator_and_a_live_save_store_the_same_form(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    state = {"id": "run-1", "score": float("nan"), "inf": -float("inf"), "zero": -0.0, "big": 1e16,
             "n": 2**70, "text": "a\x00b", "lone": "\ud800", "nested": {"key\x00": [1.5]}, "level": Level.HIGH}
    feedback_output = {"quality": float("nan"), "note": "x\x00"}
    sqlite = SQLiteFlowPersistence(str(tmp_path / "flow_states.db"))
    sqlite.save_state("run-1", "step", state)
    sqlite.save_pending_feedback("run-1", pending_context("run-1", feedback_output), state)
    report = migrate(dsn, tmp_path / "flow_states.db", context)
    assert report.flows_migrated == 1 and report.verified, report

    live = PostgresFlowPersistence(dsn=dsn, client_account_id=str(context.client_account_id),
                                   engagement_id=str(context.engagement_id), user_id=str(context.user_id))
    live.save_pending_feedback("run-2", pending_context("run-2", feedback_output), {**state, "id": "run-2"})
    [migrated, saved] = [stored_forms(live, flow_uuid) for flow_uuid in ("run-1", "run-2")]
    assert migrated["state"] == {**saved["state"], "id": "run-1"}
    assert migrated["feedback"]["method_output"] == saved["feedback"]["method_output"]
    assert exactly(live.load_state("run-1")) == exactly(sqlite.load_state("run-1"))
    ours, theirs = live.load_pending_feedback("run-1"), sqlite.load_pending_feedback("run-1")
    assert exactly(ours[0]) == exactly(theirs[0])
    assert exactly(ours[1].method_output) == exactly(theirs[1].method_output)
    live.close()


def pending_context(flow_uuid: str, output: dict):
    from crewai.flow.async_feedback.types import PendingFeedbackContext

    return PendingFeedbackContext(flow_id=flow_uuid, flow_class="app.Flow", method_name="step",
                                  method_output=output, message="ok?",
                                  requested_at=datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc))


def stored_forms(backend: PostgresFlowPersistence, flow_uuid: str) -> dict:
    """The state and feedback as stored (jsonb as text, read as JSON)."""
    [row] = sql(backend.dsn, "select p -> 'state' -> 'state_data' as state, p -> 'feedback' as feedback"
                " from (select flowstate.flow_load_pending_feedback($1, $2::jsonb) as p) s",
                backend.flow_id(flow_uuid), backend._context)
    return {key: json.loads(value) for key, value in row.items()}
