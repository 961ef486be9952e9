"""The common paths of a store, run many times: writes, batches, reads, time travel, the
overview, CrewAI steps and feedback pauses. test_plans counts their plans, test_scans the
tables they read."""

from __future__ import annotations

import uuid

import asyncpg

from pgflowstate import FlowStateStore
from pgflowstate.cache import CachedFlowStateStore
from pgflowstate.cli.bench import state_data, step

STATE = state_data(1024)  # the bench's 1 KB state: a mapping of small objects


def document(flow_id: uuid.UUID, n: int) -> dict:
    return {"flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [], "state_data": step(STATE, n)}


async def fill(store: FlowStateStore, flows: int, history: int) -> uuid.UUID:
    """Flows, each with a short history, and the first with ``history`` versions: the flow the
    paths then use."""
    ids = [uuid.uuid4() for _ in range(flows)]
    for version in (None, 1, 2):
        for start in range(0, flows, 500):
            results = await store.save_states([(i, document(i, version or 0), version)
                                               for i in ids[start:start + 500]])
            assert not [r for r in results if isinstance(r, Exception)]
    for version in range(3, history):
        await store.save_state(ids[0], document(ids[0], version), version=version)
    return ids[0]


async def run_paths(pool: asyncpg.Pool, store: FlowStateStore, flow_id: uuid.UUID, calls: int) -> None:
    """Each common path ``calls`` times: writes, reads, time travel, CrewAI steps."""
    context = store.context.model_dump(mode="json")
    cached = CachedFlowStateStore(pool, store.context)
    version = (await store.load_state(flow_id)).flow_version
    since = (await store.history(flow_id, limit=1))[0].logged_at
    batched = {saved.flow_id: saved.flow_version
               for saved in await store.save_states([(f, document(f, 0)) for f in (uuid.uuid4() for _ in range(6))])}
    for n in range(calls):
        version = (await store.save_state(flow_id, document(flow_id, n + 1), version=version)).flow_version
        version = (await store.put_state(flow_id, document(flow_id, n + 2), label="step")).flow_version
        await store.create_checkpoint(flow_id)
        assert (await store.load_state(flow_id)).flow_version == version
        assert list(await store.load_states([flow_id])) == [flow_id]
        assert 0 < len(await store.history(flow_id, limit=50)) <= 50
        assert await store.history(flow_id, since=since)
        assert (await store.state_at(flow_id, version - 1)).flow_version == version - 1
        assert await store.diff(flow_id, version - 2, version)
        assert (await store.list_checkpoints(flow_id)).checkpoints
        assert (await cached.load_state(flow_id)).flow_version == version  # a probe, once cached
        assert await store.counts() and (await store.activity()).buckets
        other = uuid.uuid4()
        await store.save_state(other, document(other, n))
        await store.transition_phase(other, "field_mapping")
        # A batch, of another size each time, as coalesced saves make them.
        batch = list(batched.items())[:2 + n % 5]
        for saved in await store.save_states([(f, document(f, n), v) for f, v in batch]):
            batched[saved.flow_id] = saved.flow_version
    # A CrewAI step and load, as the backend sends them (pgflowstate.crewai.persistence).
    crewai_id, step_version = f"run-{uuid.uuid4()}", 0
    for n in range(calls):
        recorded = await pool.fetchval(
            "select flowstate.flow_record_step(p_flow_id => flowstate.flow_id_for($1, $2), p_phase => $3,"
            " p_state_data => $4, p_label => $3, p_context => $2, p_expected_version => $5,"
            " p_external_id => $1, p_flow_type => 'crewai', p_request_id => $6)",
            crewai_id, context, f"method_{n % 3}", step(STATE, n), step_version, uuid.uuid4())
        step_version = recorded["flow_version"]
        assert await pool.fetchrow("select * from flowstate.flow_load_state_parts(flowstate.flow_id_for($1, $2), $2)",
                                   crewai_id, context)
        # A pause for human feedback and its resume.
        paused = await pool.fetchval(
            "select flowstate.flow_record_step(p_flow_id => flowstate.flow_id_for($1, $2), p_phase => 'review',"
            " p_state_data => $3, p_label => 'review', p_context => $2, p_expected_version => $4,"
            " p_external_id => $1, p_flow_type => 'crewai', p_feedback => $5, p_request_id => $6)",
            crewai_id, context, step(STATE, n), step_version, {"message": "ok?"}, uuid.uuid4())
        step_version = paused["flow_version"]
        assert await pool.fetchval("select flowstate.flow_load_pending_feedback(flowstate.flow_id_for($1, $2), $2)",
                                   crewai_id, context)
        await pool.fetchval("select flowstate.flow_clear_pending_feedback(flowstate.flow_id_for($1, $2), $2,"
                            " p_request_id => $3)", crewai_id, context, uuid.uuid4())
