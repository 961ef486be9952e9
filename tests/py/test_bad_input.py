"""Every bad input is a StateError: one list of the bad inputs a caller can hand the wrapper,
the managers and the CrewAI backend, each refused as StateValidationError (FS001's shape,
``errors`` listing a sentence) naming the argument, and each changing nothing.

What the wrapper cannot even send (a str or float or bool as a version, integers past the
column's range, NUL characters, lone surrogates, wrong types) is refused in Python; values it
can send are judged by SQL (FS001 from the function, naming its p_ argument). Before, these
reached callers as asyncpg DataError, CharacterNotInRepertoireError, ValueError, TypeError,
AssertionError, or were quietly taken (version=1.9 saved as 1, version=True as 1).
"""

from __future__ import annotations

import inspect
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import pytest
import pytest_asyncio
from crewai.flow.async_feedback.types import PendingFeedbackContext
from crewai_flows import crewai_dsn  # noqa: F401 (fixture)

from flowdocs import new_context, new_doc
from pgflowstate import FlowStateManager, FlowStateStore, FlowStateValidator, StateValidationError
from pgflowstate.crewai import PostgresFlowPersistence

CREWAI_ID = "bad-input-flow"


@dataclass
class Target:
    store: FlowStateStore
    manager: FlowStateManager
    validator: FlowStateValidator
    backend: PostgresFlowPersistence
    flow_id: uuid.UUID
    doc: dict[str, Any]
    checkpoint_id: uuid.UUID
    crewai_flow_id: uuid.UUID

    def text_state(self, value: str) -> str:
        return ('{"flow_id": "%s", "current_phase": "data_import", "phases_completed": [],'
                ' "state_data": {"x": "%s"}}' % (self.flow_id, value))

    def feedback(self, **overrides: Any) -> PendingFeedbackContext:
        fields = {"flow_id": CREWAI_ID, "flow_class": "app.Flow", "method_name": "review",
                  "method_output": {}, "message": "ok?"}
        return PendingFeedbackContext(**{**fields, **overrides})


@pytest_asyncio.fixture(scope="module")
async def target(app_pool, crewai_dsn):  # noqa: F811
    context = new_context()
    store = FlowStateStore(app_pool, context)
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, step=1))
    checkpoint_id = await store.create_checkpoint(flow_id)
    backend = PostgresFlowPersistence(
        dsn=crewai_dsn, client_account_id=str(context.client_account_id),
        engagement_id=str(context.engagement_id), user_id=str(context.user_id))
    backend.save_state(CREWAI_ID, "begin", {"id": CREWAI_ID})
    yield Target(store, FlowStateManager(store), FlowStateValidator(app_pool), backend, flow_id,
                 new_doc(flow_id, step=2), checkpoint_id, backend.flow_id(CREWAI_ID))
    backend.close()


# (case, call, the argument the sentence must name). A call returns a coroutine or, for the
# CrewAI backend and constructors, does its work (and raises) at once.
CASES: list[tuple[str, Callable[[Target], Any], str]] = [
    # FlowStateStore.save_state
    ("save_state version=2**63", lambda t: t.store.save_state(t.flow_id, t.doc, version=2**63), "version"),
    ("save_state version=-2**63-1", lambda t: t.store.save_state(t.flow_id, t.doc, version=-2**63 - 1), "version"),
    ("save_state version='1'", lambda t: t.store.save_state(t.flow_id, t.doc, version="1"), "version"),
    ("save_state version=1.9", lambda t: t.store.save_state(t.flow_id, t.doc, version=1.9), "version"),
    ("save_state version=True", lambda t: t.store.save_state(t.flow_id, t.doc, version=True), "version"),
    ("save_state version=0", lambda t: t.store.save_state(t.flow_id, t.doc, version=0), "p_expected_version"),
    ("save_state phase=123", lambda t: t.store.save_state(t.flow_id, t.doc, phase=123, version=1), "phase"),
    ("save_state phase with NUL", lambda t: t.store.save_state(t.flow_id, t.doc, phase="a\x00b", version=1), "phase"),
    ("save_state phase with a lone surrogate", lambda t: t.store.save_state(t.flow_id, t.doc, phase="\ud800", version=1), "phase"),
    ("save_state phase over max_name_bytes", lambda t: t.store.save_state(t.flow_id, t.doc, phase="p" * 201, version=1), "current_phase"),
    ("save_state text state with a lone surrogate", lambda t: t.store.save_state(t.flow_id, t.text_state("\ud800"), version=1), "state"),
    ("save_state text state with NUL", lambda t: t.store.save_state(t.flow_id, t.text_state("a\x00"), version=1), "state"),
    ("save_state flow_id=None", lambda t: t.store.save_state(None, t.doc, version=1), "flow_id"),
    ("save_state flow_id=123", lambda t: t.store.save_state(123, t.doc, version=1), "flow_id"),
    # put_state, load_state, transition_phase
    ("put_state label=123", lambda t: t.store.put_state(t.flow_id, t.doc, label=123), "label"),
    ("put_state label with NUL", lambda t: t.store.put_state(t.flow_id, t.doc, label="a\x00"), "label"),
    ("put_state label over max_label_bytes", lambda t: t.store.put_state(t.flow_id, t.doc, label="l" * 1025), "p_label"),
    ("load_state flow_id='nope'", lambda t: t.store.load_state("nope"), "flow_id"),
    ("transition_phase new_phase=123", lambda t: t.store.transition_phase(t.flow_id, 123), "new_phase"),
    ("transition_phase new_phase=None", lambda t: t.store.transition_phase(t.flow_id, None), "new_phase"),
    ("transition_phase new_phase with NUL", lambda t: t.store.transition_phase(t.flow_id, "field\x00mapping"), "new_phase"),
    ("transition_phase new_phase over max_name_bytes", lambda t: t.store.transition_phase(t.flow_id, "p" * 201), "p_new_phase"),
    ("transition_phase version='2'", lambda t: t.store.transition_phase(t.flow_id, "field_mapping", version="2"), "version"),
    ("transition_phase version=0", lambda t: t.store.transition_phase(t.flow_id, "field_mapping", version=0), "p_expected_version"),
    # checkpoints and recovery
    ("create_checkpoint phase=5", lambda t: t.store.create_checkpoint(t.flow_id, phase=5), "phase"),
    ("create_checkpoint label with NUL", lambda t: t.store.create_checkpoint(t.flow_id, label="\x00"), "label"),
    ("create_checkpoint label over max_label_bytes", lambda t: t.store.create_checkpoint(t.flow_id, label="l" * 1025), "p_label"),
    ("recover_from_checkpoint checkpoint_id='x'", lambda t: t.store.recover_from_checkpoint(t.flow_id, "x"), "checkpoint_id"),
    ("recover_from_checkpoint version=1.0", lambda t: t.store.recover_from_checkpoint(t.flow_id, t.checkpoint_id, version=1.0), "version"),
    ("list_checkpoints after='x'", lambda t: t.store.list_checkpoints(t.flow_id, after="x"), "after"),
    ("list_checkpoints limit=0", lambda t: t.store.list_checkpoints(t.flow_id, limit=0), "p_limit"),
    ("list_checkpoints limit=True", lambda t: t.store.list_checkpoints(t.flow_id, limit=True), "limit"),
    ("list_checkpoints limit over max_batch_items", lambda t: t.store.list_checkpoints(t.flow_id, limit=1001), "p_limit"),
    # history and time travel
    ("history limit=-1", lambda t: t.store.history(t.flow_id, limit=-1), "p_limit"),
    ("history limit=2**31", lambda t: t.store.history(t.flow_id, limit=2**31), "limit"),
    ("history limit='5'", lambda t: t.store.history(t.flow_id, limit="5"), "limit"),
    ("history since='yesterday'", lambda t: t.store.history(t.flow_id, since="yesterday"), "since"),
    ("history operation=5", lambda t: t.store.history(t.flow_id, operation=5), "operation"),
    ("history operation with NUL", lambda t: t.store.history(t.flow_id, operation="save\x00"), "operation"),
    ("state_at version='1'", lambda t: t.store.state_at(t.flow_id, "1"), "version"),
    ("state_at version=None", lambda t: t.store.state_at(t.flow_id, None), "version"),
    ("diff from_version=1.5", lambda t: t.store.diff(t.flow_id, 1.5, 2), "from_version"),
    ("diff to_version=2**63", lambda t: t.store.diff(t.flow_id, 1, 2**63), "to_version"),
    ("validate_phase_transition new_phase=5", lambda t: t.store.validate_phase_transition(t.doc, 5), "new_phase"),
    # batches
    ("save_states items as dicts", lambda t: t.store.save_states([{"flow_id": t.flow_id, "state": t.doc}]), "items[0]"),
    ("save_states an item of four values", lambda t: t.store.save_states([(t.flow_id, t.doc, 1, "x")]), "items[0]"),
    ("save_states items=None", lambda t: t.store.save_states(None), "items"),
    ("save_states version '1' in an item", lambda t: t.store.save_states([(t.flow_id, t.doc, "1")]), "items[0] version"),
    ("save_states version 1.0 in an item", lambda t: t.store.save_states([(t.flow_id, t.doc, 1.0)]), "items[0] version"),
    ("save_states atomic='yes'", lambda t: t.store.save_states([(t.flow_id, t.doc, 1)], atomic="yes"), "atomic"),
    ("save_states over max_batch_items", lambda t: t.store.save_states([(t.flow_id, t.doc, 1)] * 1001), "p_items"),
    ("load_states flow_ids=['x']", lambda t: t.store.load_states(["x"]), "flow_ids[0]"),
    ("load_states flow_ids=None", lambda t: t.store.load_states(None), "flow_ids"),
    ("load_states flow_ids as one string", lambda t: t.store.load_states(str(t.flow_id)), "flow_ids"),
    ("load_states over max_batch_items", lambda t: t.store.load_states([t.flow_id] * 1001), "p_flow_ids"),
    ("FlowStateStore context as a dict", lambda t: FlowStateStore(None, {"user_id": "x"}), "context"),
    # FlowStateManager and FlowStateValidator
    ("manager.save version='1'", lambda t: t.manager.save(t.flow_id, t.doc, version="1"), "version"),
    ("manager.transition_phase new_phase=1", lambda t: t.manager.transition_phase(t.flow_id, 1), "new_phase"),
    ("update_with_retry mutate='x'", lambda t: t.manager.update_with_retry(t.flow_id, "x"), "mutate"),
    ("update_with_retry retries=-1", lambda t: t.manager.update_with_retry(t.flow_id, dict, retries=-1), "retries"),
    ("update_with_retry backoff='fast'", lambda t: t.manager.update_with_retry(t.flow_id, dict, backoff="fast"), "backoff"),
    ("validator.is_valid_transition new_phase=5", lambda t: t.validator.is_valid_transition(t.doc, 5), "new_phase"),
    # the CrewAI backend
    ("crewai save_state flow_uuid=123", lambda t: t.backend.save_state(123, "a", {"id": "x"}), "flow_uuid"),
    ("crewai save_state method_name with NUL", lambda t: t.backend.save_state(CREWAI_ID, "a\x00", {"id": "x"}), "method_name"),
    ("crewai save_state method_name=5", lambda t: t.backend.save_state(CREWAI_ID, 5, {"id": "x"}), "method_name"),
    ("crewai save_state method_name over max_name_bytes", lambda t: t.backend.save_state(CREWAI_ID, "m" * 201, {"id": "x"}), "p_phase"),
    ("crewai load_state flow_uuid with a lone surrogate", lambda t: t.backend.load_state("\ud800"), "flow_uuid"),
    ("crewai load_state flow_uuid over max_label_bytes", lambda t: t.backend.load_state("x" * 1025), "p_external_id"),
    ("crewai create_checkpoint label with NUL", lambda t: t.backend.create_checkpoint(CREWAI_ID, "\x00"), "label"),
    ("crewai create_checkpoint label over max_label_bytes", lambda t: t.backend.create_checkpoint(CREWAI_ID, "l" * 1025), "p_label"),
    ("crewai save_pending_feedback feedback over max_feedback_bytes",
     lambda t: t.backend.save_pending_feedback(CREWAI_ID, t.feedback(message="m" * 1_100_000), {"id": "x"}), "p_feedback"),
]


async def footprint(t: Target) -> list[tuple[int, int]]:
    """(version, audit rows) of both flows: what a refused call must leave as it was."""
    result = []
    for flow_id in (t.flow_id, t.crewai_flow_id):
        result.append(((await t.store.load_state(flow_id)).flow_version, len(await t.store.history(flow_id))))
    return result


@pytest.mark.parametrize("call, argument", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_bad_input_is_a_state_validation_error_naming_the_argument(target, call, argument):
    before = await footprint(target)
    with pytest.raises(StateValidationError) as caught:
        outcome = call(target)
        if inspect.isawaitable(outcome):
            await outcome
    error = caught.value
    assert argument in str(error), str(error)
    assert error.errors and argument in error.errors[0], error.detail
    assert await footprint(target) == before
