"""One process of test_crewai_setup's use_postgres tests: ``python crewai_use_postgres.py CASE``.

Runs flows the way an application would, with ``use_postgres()`` called where CASE says,
against $DATABASE_URL as the tenant in $PGFLOWSTATE_*; prints one JSON line: what PostgreSQL
holds for each flow afterwards. The test runs it with HOME pointing at a scratch directory and
then looks for SQLite files there.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("OTEL_SDK_DISABLED", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")

from crewai.flow.async_feedback.types import HumanFeedbackPending  # noqa: E402
from crewai.flow.flow import Flow, listen, start  # noqa: E402
from crewai.flow.human_feedback import human_feedback  # noqa: E402
from crewai.flow.persistence import persist  # noqa: E402

from pgflowstate.crewai import PostgresFlowPersistence, use_postgres  # noqa: E402


class DeferredReview:
    """A feedback provider that never blocks: the flow pauses until someone resumes it."""

    def request_feedback(self, context, flow):
        raise HumanFeedbackPending(context=context, callback_info={"ticket": "T-1"})


def class_level_flow() -> type:
    @persist()
    class ClassLevelFlow(Flow[dict]):
        @start()
        def begin(self):
            self.state["steps"] = ["begin"]

        @listen(begin)
        def finish(self):
            self.state["steps"].append("finish")

    return ClassLevelFlow


def method_level_review_flow(backend: PostgresFlowPersistence | None) -> type:
    """@persist on one method only, and a pause for human feedback: CrewAI pauses through
    its default backend, since the flow has none of its own."""
    method_persist = persist(backend) if backend is not None else persist()

    class MethodLevelReviewFlow(Flow[dict]):
        @start()
        @method_persist
        def prepare(self):
            self.state["steps"] = ["prepare"]

        @listen(prepare)
        @human_feedback(message="Approve?", provider=DeferredReview())
        def review(self):
            self.state["steps"].append("review")
            return "draft"

    return MethodLevelReviewFlow


def run(flow_class: type) -> str:
    flow = flow_class()
    flow.kickoff()
    return flow.state["id"]


def main(case: str) -> None:
    if case == "defined_before":
        # Defined first, as when flow modules are imported before the start-up code runs.
        review = method_level_review_flow(PostgresFlowPersistence())
        backend = use_postgres()
        ids = {"review": run(review)}
    elif case == "defined_after":
        backend = use_postgres()
        ids = {"class_level": run(class_level_flow()), "review": run(method_level_review_flow(None))}
    elif case == "class_level_defined_before":
        flow_class = class_level_flow()  # CrewAI makes its SQLite backend (and file) here
        backend = use_postgres()
        ids = {"class_level": run(flow_class)}
    else:
        raise SystemExit(f"unknown case {case}")
    found = {name: {"state": backend.load_state(flow_id), "paused": backend.load_pending_feedback(flow_id) is not None}
             for name, flow_id in ids.items()}
    print(json.dumps(found))
    backend.close()


if __name__ == "__main__":
    main(sys.argv[1])
