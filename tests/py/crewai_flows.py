"""Example CrewAI flows and fixtures for the CrewAI backend tests (no LLM anywhere).

The flows are built by ``build_flows(persistence)`` because ``@persist(backend)`` takes its
backend when the class is defined, and the backend's DSN is only known once the test server
is up. Run as a script, this module plays one process of the crash test (see ``main``).

CrewAI is an optional dependency (``pgflowstate[crewai]``), which the test setup installs
(.ci/run: ``pip install -e '.[dev,crewai]'``). Without it these tests fail at import, loudly.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

# No telemetry, no tracing prompts, no storage under the working directory's name.
os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("CREWAI_STORAGE_DIR", "pgflowstate-tests")

from crewai.flow.async_feedback.types import HumanFeedbackPending  # noqa: E402
from crewai.flow.flow import Flow, listen, or_, router, start  # noqa: E402
from crewai.flow.human_feedback import human_feedback  # noqa: E402
from crewai.flow.persistence import persist  # noqa: E402

import asyncpg
import pytest
from pydantic import BaseModel, Field

from pgflowstate.crewai import PostgresFlowPersistence


class Detail(BaseModel):
    label: str = ""
    seen_at: datetime | None = None
    scores: dict[str, float] = Field(default_factory=dict)


class PipelineState(BaseModel):
    """Structured state with the types CrewAI has to serialise: datetime, UUID, nested model."""

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    size: int = 0
    route: str = ""
    steps: list[str] = Field(default_factory=list)
    started_at: datetime | None = None
    ref: uuid.UUID | None = None
    detail: Detail = Field(default_factory=Detail)
    tags: set[str] = Field(default_factory=set)


def build_flows(persistence: Any) -> SimpleNamespace:
    """Flow classes persisting through ``persistence`` (any FlowPersistence)."""

    @persist(persistence)
    class PipelineFlow(Flow[PipelineState]):
        """@persist on the class: every method's completion is saved. A router picks a branch."""

        @start()
        def begin(self):
            self.state.steps.append("begin")
            self.state.started_at = datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=timezone.utc)
            self.state.ref = uuid.UUID(int=self.state.size + 1)

        @router(begin)
        def classify(self):
            self.state.steps.append("classify")
            self.state.route = "big" if self.state.size >= 10 else "small"
            return self.state.route

        @listen("big")
        def handle_big(self):
            self.state.steps.append("handle_big")
            self.state.detail = Detail(label="big", seen_at=self.state.started_at,
                                       scores={"a": 0.5, "b": 1e-7})

        @listen("small")
        def handle_small(self):
            self.state.steps.append("handle_small")
            self.state.detail = Detail(label="small", scores={"a": 0.25})

        @listen(or_(handle_big, handle_small))
        def finish(self):
            self.state.steps.append("finish")
            self.state.tags = {"done", self.state.route}
            return self.state.steps

    class DictFlow(Flow):
        """Unstructured (dict) state; only ``enrich`` is persisted (@persist on one method)."""

        @start()
        def load(self):
            self.state["items"] = [1, 2, 3]
            self.state["when"] = datetime(2026, 2, 1, 8, 30, tzinfo=timezone.utc)
            self.state["ref"] = uuid.UUID(int=7)

        @listen(load)
        @persist(persistence)
        def enrich(self):
            self.state["total"] = sum(self.state["items"])
            self.state["nested"] = {"deep": {"list": [{"k": "v"}], "none": None, "flag": True}}
            self.state["labels"] = {"x"}

        @listen(enrich)
        def unsaved(self):
            self.state["after"] = "not persisted"

    @persist(persistence)
    class ResumableFlow(Flow[PipelineState]):
        """Each step is skipped when the restored state shows it done, so a restarted flow
        carries on where the last save left it. ``crash_at`` names a step that kills the
        process (os._exit) or raises, as ``fail`` says."""

        crash_at: str = ""
        fail: str = "exit"

        def _step(self, name: str) -> None:
            if name in self.state.steps:
                return
            if name == self.crash_at:
                if self.fail == "exit":
                    os._exit(17)
                raise RuntimeError(f"step {name} failed")
            self.state.steps.append(name)
            self.state.size += 1

        @start()
        def one(self):
            self._step("one")

        @listen(one)
        def two(self):
            self._step("two")

        @listen(two)
        def three(self):
            self._step("three")

        @listen(three)
        def four(self):
            self._step("four")
            return list(self.state.steps)

    @persist(persistence)
    class ReviewFlow(Flow[PipelineState]):
        """Pauses for human feedback (a provider that defers, as a ticketing system would)."""

        @start()
        @human_feedback(message="Approve the draft?", provider=DeferredReview())
        def draft(self):
            self.state.steps.append("draft")
            return {"title": "Draft", "at": datetime(2026, 3, 1, tzinfo=timezone.utc)}

        @listen(draft)
        def publish(self, result):
            self.state.steps.append("publish")
            self.state.route = result.feedback
            return "published"

    return SimpleNamespace(PipelineFlow=PipelineFlow, DictFlow=DictFlow,
                           ResumableFlow=ResumableFlow, ReviewFlow=ReviewFlow)


class DeferredReview:
    """A feedback provider that never blocks: the flow pauses until someone resumes it."""

    def request_feedback(self, context, flow):
        raise HumanFeedbackPending(context=context, callback_info={"ticket": "T-1"})


# -- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture(scope="session")
def crewai_dsn(app_dsn) -> str:
    """The application role's DSN: the backend runs with EXECUTE rights only."""
    return app_dsn


def new_persistence(dsn: str, **options: Any) -> PostgresFlowPersistence:
    """A backend for a fresh tenant (random ids), so tests never see each other's flows."""
    return PostgresFlowPersistence(
        dsn=dsn, client_account_id=str(uuid.uuid4()), engagement_id=str(uuid.uuid4()),
        user_id=str(uuid.uuid4()), **options)


@pytest.fixture
def persistence(crewai_dsn):
    """A PostgresFlowPersistence for a fresh tenant, closed after the test."""
    backend = new_persistence(crewai_dsn)
    yield backend
    backend.close()


def sql(dsn: str, query: str, *args):
    """One query as the application role, outside CrewAI (rows as dicts, jsonb as text)."""

    async def run():
        conn = await asyncpg.connect(dsn)
        try:
            return [dict(r) for r in await conn.fetch(query, *args)]
        finally:
            await conn.close()

    return asyncio.run(run())


def history(backend: PostgresFlowPersistence, flow_uuid: str) -> list[dict]:
    return sql(backend.dsn, "select * from flowstate.flow_history($1, $2::jsonb)",
               backend.flow_id(flow_uuid), backend._context)


def document(backend: PostgresFlowPersistence, flow_uuid: str) -> dict:
    [row] = sql(backend.dsn, "select flowstate.flow_load_state($1, $2::jsonb)::text as d",
                backend.flow_id(flow_uuid), backend._context)
    return json.loads(row["d"])


def main(argv: list[str]) -> int:
    """``python crewai_flows.py PERSISTENCE_JSON FLOW_ID CRASH_AT``: run ResumableFlow as one
    process of the crash test: restore FLOW_ID if saved, then run; CRASH_AT '' runs to the end
    and prints the steps."""
    persistence = PostgresFlowPersistence.model_validate_json(argv[0])
    flows = build_flows(persistence)
    flow = flows.ResumableFlow()
    flow.crash_at = argv[2]
    result = flow.kickoff(inputs={"id": argv[1]})
    print("RESULT", ",".join(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
