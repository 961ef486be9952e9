"""A tenant's calls read its own rows by key, however many rows other tenants have.

A statement that scans a whole table costs nothing on a test's few rows and grows with every
tenant's flows: a coalesced batch locked its flows with `flow_id in (select ...)`, which row-level
security turned into a scan of every flow (830 ms a batch at 1M flows). This runs the common
paths (common_paths.py: writes, batches, reads, time travel, the overview, CrewAI steps and
pauses) and the lifecycle's on a store where other tenants hold thousands of flows, in one
transaction, and asks pg_stat_xact_user_tables that no table holding many rows was scanned."""

from __future__ import annotations

from common_paths import fill, run_paths
from flowdocs import new_context
from pgflowstate import FlowStateStore, create_pool

OTHER_FLOWS = 3000


async def test_a_tenants_calls_scan_no_table_that_other_tenants_fill(fresh_database):
    dsn = fresh_database()
    setup = await create_pool(dsn, min_size=1, max_size=1)
    try:
        await fill(FlowStateStore(setup, new_context()), OTHER_FLOWS, 3)
        mine = FlowStateStore(setup, new_context())
        flow_id = await fill(mine, 1, 10)
        await setup.execute("analyze")
        async with setup.acquire() as conn, conn.transaction():  # the pool's codecs, one transaction
            store = FlowStateStore(conn, mine.context)
            await run_paths(conn, store, flow_id, 3)
            # And the lifecycle: find, fork, recover, erase.
            assert (await store.search(phase="data_import")).flows
            forked = await store.fork(flow_id)
            checkpoint = (await store.list_checkpoints(flow_id)).checkpoints[0].id
            await store.recover_from_checkpoint(flow_id, checkpoint)
            await store.delete(forked.flow_id, "a test's fork")
            scanned = await conn.fetch(
                "select s.relname, s.seq_scan from pg_stat_xact_user_tables s join pg_class c on c.oid = s.relid"
                " where s.schemaname = 'flowstate' and s.seq_scan > 0 and c.reltuples >= $1 order by 1",
                OTHER_FLOWS / 2)
            big = await conn.fetchval("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                                      " where n.nspname = 'flowstate' and c.relkind = 'r' and c.reltuples >= $1",
                                      OTHER_FLOWS / 2)
        assert big >= 2, "flows and the audit log hold the other tenants' rows"
        assert [tuple(r) for r in scanned] == []
    finally:
        await setup.close()
