"""The statements inside the functions are planned once per session, not on every call.

PL/pgSQL caches each statement's plan, but gives it a custom plan (planned again for every call)
as long as the planner costs the generic plan above the custom ones: a statement with an
`x is null or ...` filter, or a LIMIT from a parameter, can stay there for good, depending on
the tables' statistics. Planning then costs more than running it (80 to 220 us against about
10 us for a save's lookup by key). pg_stat_statements counts the plans of nested statements:
this runs the common paths many times on one connection, before the tables have statistics and
after an ANALYZE, and asks that no statement was planned on most of its calls."""

from __future__ import annotations

import uuid

import asyncpg
import psycopg
import pytest

from common_paths import document, fill, run_paths
from flowdocs import new_context
from pgflowstate import FlowStateStore, create_pool, schema
from pgflowstate.server.cluster import LocalCluster

WARM_UP, CALLS = 6, 20
FLOWS = 3000
LONG_HISTORY = 300


@pytest.fixture(scope="module")
def counting_server(pg_bin):
    """A server of its own that counts every nested statement's plans (autovacuum off: the
    test says when statistics are taken)."""
    assert pg_bin is not None, "needs local PostgreSQL server binaries with pg_stat_statements (postgresql-15 has both)"
    with LocalCluster(pg_bin=pg_bin, settings={
            "shared_preload_libraries": "'pg_stat_statements'", "pg_stat_statements.track": "'all'",
            "pg_stat_statements.track_planning": "on", "autovacuum": "off"}) as cluster:
        yield cluster


def new_database(cluster: LocalCluster, name: str) -> str:
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    schema.upgrade(cluster.dsn(name))
    with psycopg.connect(cluster.dsn(name), autocommit=True) as conn:
        conn.execute("create extension pg_stat_statements with schema public")
    return cluster.dsn(name)


async def run_dba_writes(pool: asyncpg.Pool, context: dict, flow_id: uuid.UUID, calls: int) -> None:
    """A DBA's writes from psql: no request id."""
    version = await pool.fetchval("select flow_version from flowstate.flows where flow_id = $1", flow_id)
    for n in range(calls):
        version = (await pool.fetchval("select flowstate.flow_save_state($1, $2, $3, $4)", flow_id,
                                       document(flow_id, n), version, context))["flow_version"]
        version = (await pool.fetchval("select flowstate.flow_put_state($1, $2, 'fix', $3)", flow_id,
                                       document(flow_id, n + 1), context))["flow_version"]
        await pool.fetchval("select flowstate.flow_create_checkpoint($1, null, 'before', $2)", flow_id, context)
        other = uuid.uuid4()
        await pool.fetchval("select flowstate.flow_save_state($1, $2, null, $3)", other, document(other, n), context)
        await pool.fetchval("select flowstate.flow_transition_phase($1, 'field_mapping', 1, $2)", other, context)


async def replanned(pool: asyncpg.Pool) -> list[str]:
    """Statements called at least CALLS times (since the warm-up) and planned on more than half
    of those calls."""
    rows = await pool.fetch("select calls, plans, query from public.pg_stat_statements"
                            " where calls >= $1 and plans > calls / 2", CALLS)
    return [f"{r['plans']} plans in {r['calls']} calls: {' '.join(r['query'].split())[:160]}" for r in rows]


@pytest.mark.parametrize("store_kind", ["new store", "store in use, before statistics", "store in use, analyzed"])
async def test_the_common_paths_plan_their_statements_once_per_session(counting_server, store_kind):
    dsn = new_database(counting_server, store_kind.replace(" ", "_").replace(",", ""))
    setup = await create_pool(dsn, min_size=1, max_size=1)
    try:
        store = FlowStateStore(setup, new_context())
        flow_id = await (fill(store, 1, 10) if store_kind == "new store" else fill(store, FLOWS, LONG_HISTORY))
        if store_kind.endswith("analyzed"):
            await setup.execute("analyze")
        found = {}
        for session in ("the wrapper's", "a DBA's"):
            # A new connection: a new session. Its first calls make the plans (PL/pgSQL tries
            # custom plans first, five of them); what is counted comes after.
            pool = await create_pool(dsn, min_size=1, max_size=1)
            try:
                for calls in (WARM_UP, CALLS):
                    await setup.execute("select public.pg_stat_statements_reset()")
                    if session == "a DBA's":
                        await run_dba_writes(pool, store.context.model_dump(mode="json"), flow_id, calls)
                    else:
                        await run_paths(pool, FlowStateStore(pool, store.context), flow_id, calls)
                found[session] = await replanned(pool)
            finally:
                await pool.close()
        assert found == {"the wrapper's": [], "a DBA's": []}
    finally:
        await setup.close()
