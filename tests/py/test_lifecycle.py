"""What Python adds to the lifecycle functions (flow_search ... flow_retention_run): keyword
filters and typed pages, typed forks and tombstones, FS008 as FlowErasedError, the admin-only
methods, the CrewAI backend on forks and erased flows, typed activity; and the races SQL alone
cannot show: one retention runner at a time, locked flows left for the next run (two
connections), and exact counts under concurrent writers.
The rules themselves are proven in tests/sql/flow_search/ ... flow_retention_run/."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest
from crewai_flows import crewai_dsn, persistence, sql  # noqa: F401 (fixtures)
from flowdocs import new_context, new_doc

from pgflowstate import (
    Activity,
    FlowCount,
    FlowErasedError,
    FlowNotFoundError,
    FlowState,
    FlowStateStore,
    Lineage,
    RetentionRun,
    SearchPage,
    StateValidationError,
    TenantErasure,
    Tombstone,
)


async def test_search_takes_keyword_filters_and_pages_through_typed_results(store):
    flows = [uuid.uuid4() for _ in range(5)]
    for i, flow_id in enumerate(flows):
        await store.save_state(flow_id, {**new_doc(flow_id, n=i), "metadata": {"batch": i % 2}})
    await store.transition_phase(flows[0], "field_mapping")

    page = await store.search(metadata={"batch": 0}, phase="data_import",
                              created_after=datetime.now() - timedelta(hours=1),  # naive: local time
                              created_before=datetime.now(timezone.utc) + timedelta(hours=1))
    assert isinstance(page, SearchPage) and page.next is None
    assert {f.flow_id for f in page.flows} == {flows[2], flows[4]}
    assert all(isinstance(f, FlowState) and f.state_data is None for f in page.flows)

    seen, after = [], None
    while True:
        page = await store.search(limit=2, after=after)
        seen += [f.flow_id for f in page.flows]
        if page.next is None:
            break
        after = page.next
    assert sorted(seen) == sorted(flows) and len(seen) == 5


async def test_a_bad_search_is_a_validation_error_listing_every_problem(store):
    with pytest.raises(StateValidationError) as caught:
        await store.search(status="asleep", parent_flow_id="x", limit=0)
    assert caught.value.errors == [
        "Filter parent_flow_id must be a UUID string.",
        "Filter status must be one of running, paused, recovered, completed, failed.",
        "p_limit must be between 1 and 1000 (flowstate.settings max_search_page), not 0.",
    ]


async def test_counts_are_typed_rows(store):
    for _ in range(2):
        flow_id = uuid.uuid4()
        await store.save_state(flow_id, new_doc(flow_id))
    assert await store.counts() == [FlowCount(flow_type="discovery", current_phase="data_import",
                                              status="running", flows=2)]


async def test_activity_is_typed_and_a_bucket_it_cannot_serve_is_a_validation_error(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    await store.transition_phase(flow_id, "field_mapping")
    activity = await store.activity()
    assert isinstance(activity, Activity) and len(activity.buckets) == 25
    assert activity.buckets[-1].writes == 2 and activity.quarantined.flows == 0
    days = await store.activity(since=datetime.now(timezone.utc) - timedelta(days=6), bucket=timedelta(days=1))
    assert days.bucket == "1 day" and len(days.buckets) == 7 and days.buckets[-1].writes == 2
    with pytest.raises(StateValidationError) as caught:
        await store.activity(bucket=timedelta(minutes=30))
    assert caught.value.errors == ["p_bucket (00:30:00) must be a whole number of hours or days, at least one hour."]


async def test_counts_stay_exact_under_concurrent_writers_of_one_tenant(app_pool, admin_dsn):
    """Eight writers on the pool's four connections create, move and delete flows of one tenant
    at once: the tallies that flow_counts reads (a row per writer slot) end equal to counting
    the flows."""
    store = FlowStateStore(app_pool, new_context())

    async def writer(n: int) -> None:
        for i in range(6):
            flow_id = uuid.uuid4()
            await store.save_state(flow_id, new_doc(flow_id, n=n))
            if i % 2:
                await store.transition_phase(flow_id, "field_mapping")
            if i % 3 == 0:
                await store.delete(flow_id, "churn")

    await asyncio.gather(*(writer(n) for n in range(8)))
    conn = await asyncpg.connect(admin_dsn)
    try:
        counted = await conn.fetch(
            "select flow_type, current_phase::text, status::text, count(*) as flows from flowstate.flows"
            " where client_account_id = $1 and engagement_id = $2 group by 1, 2, 3 order by 1, 2, 3",
            store.context.client_account_id, store.context.engagement_id)
    finally:
        await conn.close()
    assert [c.model_dump() for c in await store.counts()] == [dict(r) for r in counted]
    assert sum(c.flows for c in await store.counts()) == 8 * 4


async def test_fork_returns_the_new_flow_with_typed_lineage_that_saves_back(store):
    parent = uuid.uuid4()
    await store.save_state(parent, new_doc(parent, step=1))
    await store.save_state(parent, new_doc(parent, step=2), version=1)
    child = uuid.uuid4()

    fork = await store.fork(parent, version=1, new_flow_id=str(child))

    assert fork.flow_id == child and fork.flow_version == 1 and fork.state_data == {"step": 1}
    assert fork.forked_from == Lineage(flow_id=parent, flow_version=1)
    saved = await store.save_state(child, await store.load_state(child), version=1)
    assert saved.flow_version == 2 and saved.forked_from == fork.forked_from
    with pytest.raises(FlowNotFoundError):
        await store.fork(parent, version=9)


async def test_delete_returns_a_tombstone_and_a_late_write_is_flow_erased_error(store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, secret="x"))

    tombstone = await store.delete(flow_id, "user asked")

    assert isinstance(tombstone, Tombstone)
    assert (tombstone.flow_id, tombstone.action, tombstone.reason) == (flow_id, "delete", "user asked")
    assert tombstone.rows["flows"] == 1 and tombstone.rows["audit_log"] == 1
    assert tombstone.erased_by == {"user_id": str(store.context.user_id), "role": "pgflowstate_test_app"}
    with pytest.raises(FlowErasedError) as caught:
        await store.put_state(flow_id, new_doc(flow_id), label="late")
    assert caught.value.flow_id == flow_id and caught.value.erased_at == tombstone.erased_at


async def test_only_an_admin_store_runs_retention_or_erases_a_tenant(app_pool, store):
    with pytest.raises(StateValidationError):
        await FlowStateStore(app_pool, None).retention_run(dry_run=True)
    with pytest.raises(StateValidationError):
        await store.erase_tenant(store.context.client_account_id, None, "x")


def test_crewai_resumes_a_fork_by_its_id_and_a_late_step_after_a_delete_is_refused(persistence, crewai_dsn):
    persistence.save_state("run-7", "research", {"notes": ["a"]})
    context = json.dumps({"client_account_id": persistence.client_account_id,
                          "engagement_id": persistence.engagement_id, "user_id": persistence.user_id})
    [fork] = sql(crewai_dsn, "select flowstate.flow_fork($1, null, null, $2) ->> 'flow_id' as id",
                 persistence.flow_id("run-7"), context)

    assert persistence.load_state(fork["id"]) == {"notes": ["a"]}
    persistence.save_state(fork["id"], "write", {"notes": ["a", "b"]})
    assert persistence.load_state(fork["id"]) == {"notes": ["a", "b"]}

    sql(crewai_dsn, "select flowstate.flow_delete($1, 'done', $2)", persistence.flow_id("run-7"), context)
    with pytest.raises(FlowErasedError):
        persistence.save_state("run-7", "late_step", {"notes": ["late"]})
    assert persistence.load_state("run-7") is None


# -- admin store, races: each in a database of its own (retention acts on every flow) --------

async def finished_long_ago(dsn: str, count: int) -> list[uuid.UUID]:
    """`count` completed flows of one tenant that finished 40 days ago, and a default policy
    deleting flows 30 days after they finish."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        tenant = FlowStateStore(pool, new_context())
        ids = [uuid.uuid4() for _ in range(count)]
        for flow_id in ids:
            await tenant.save_state(flow_id, {**new_doc(flow_id), "flow_type": "crewai", "current_phase": "completed"})
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("set local session_replication_role = replica")
            await conn.execute("update flowstate.flows set updated_at = now() - interval '40 days'")
        await pool.execute("insert into flowstate.retention_policies (flow_type, action, after)"
                           " values (null, 'delete', '30 days')")
        return ids
    finally:
        await pool.close()


async def test_an_admin_store_runs_retention_and_erases_tenants_with_typed_results(fresh_database):
    dsn = fresh_database()
    ids = await finished_long_ago(dsn, 3)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        admin = FlowStateStore(pool, None)
        planned = await admin.retention_run(dry_run=True)
        assert isinstance(planned, RetentionRun) and planned.dry_run and planned.deleted == 3
        assert {item.flow_id for item in planned.flows} == set(ids)
        assert all(item.action == "delete" and item.terminal_since < datetime.now(timezone.utc) - timedelta(days=30)
                   for item in planned.flows)

        done = await admin.retention_run(limit=2)
        assert (done.deleted, done.more, done.rows["flows"]) == (2, True, 2)

        tenant = FlowStateStore(pool, new_context())
        kept = uuid.uuid4()
        await tenant.save_state(kept, new_doc(kept))
        erased = await admin.erase_tenant(tenant.context.client_account_id, tenant.context.engagement_id, "closed")
        assert erased == TenantErasure(client_account_id=tenant.context.client_account_id,
                                       engagement_id=tenant.context.engagement_id, erased=1,
                                       rows=erased.rows, more=False)
        assert erased.rows["flows"] == 1
    finally:
        await pool.close()


async def test_one_retention_run_at_a_time(fresh_database):
    dsn = fresh_database()
    await finished_long_ago(dsn, 2)
    first, second = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        running = first.transaction()
        await running.start()
        ran = json.loads(await first.fetchval("select flowstate.flow_retention_run(1, false)"))
        assert ran["deleted"] == 1

        busy = json.loads(await second.fetchval("select flowstate.flow_retention_run(10, false)"))
        assert busy == {"dry_run": False, "busy": True, "deleted": 0, "compacted": 0, "flows": [],
                        "rows": {}, "more": True}
        assert json.loads(await second.fetchval("select flowstate.flow_retention_run(10, true)"))["busy"] is False, \
            "a dry run needs no lock"

        await running.commit()
        after = json.loads(await second.fetchval("select flowstate.flow_retention_run(10, false)"))
        assert (after["busy"], after["deleted"], after["more"]) == (False, 1, False)
    finally:
        await first.close()
        await second.close()


async def test_flows_locked_by_a_running_call_are_left_for_the_next_run(fresh_database):
    dsn = fresh_database()
    locked, free = await finished_long_ago(dsn, 2)
    writer, runner = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        busy_flow = writer.transaction()
        await busy_flow.start()
        await writer.execute("select from flowstate.flows where flow_id = $1 for update", locked)

        # Retention and a tenant erasure skip the locked flow instead of waiting for it.
        ran = json.loads(await asyncio.wait_for(runner.fetchval("select flowstate.flow_retention_run(10, false)"), 10))
        assert ([item["flow_id"] for item in ran["flows"]], ran["more"]) == ([str(free)], True)
        erased = json.loads(await asyncio.wait_for(runner.fetchval(
            "select flowstate.flow_erase_tenant(client_account_id, null, 'closed', 10)"
            " from flowstate.flows where flow_id = $1", locked), 10))
        assert (erased["erased"], erased["more"]) == (0, True)

        await busy_flow.rollback()
        again = json.loads(await runner.fetchval("select flowstate.flow_retention_run(10, false)"))
        assert ([item["flow_id"] for item in again["flows"]], again["more"]) == ([str(locked)], False)
    finally:
        await writer.close()
        await runner.close()
