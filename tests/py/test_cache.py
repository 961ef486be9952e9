"""The read cache never serves a version older than the database's, whoever wrote it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from datetime import datetime, timezone

from pgflowstate import FlowStateStore, RequestContext, create_pool
from pgflowstate.cache import CachedFlowStateStore


def context() -> RequestContext:
    return RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4())


def new_doc(flow_id, count=0) -> dict:
    return {"flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [],
            "state_data": {"count": count, "blob": "x" * 50_000}}


WRITER = textwrap.dedent("""
    import asyncio, sys, uuid
    from pgflowstate import FlowStateStore, RequestContext, create_pool
    async def main(dsn, flow_id, ctx, rounds):
        pool = await create_pool(dsn, min_size=1, max_size=1)
        store = FlowStateStore(pool, RequestContext.model_validate_json(ctx))
        for _ in range(int(rounds)):
            doc = await store.load_state(flow_id)
            doc.state_data["count"] += 1
            await store.save_state(flow_id, doc.document(), version=doc.flow_version)
        await pool.close()
    asyncio.run(main(*sys.argv[1:]))
""")


async def test_another_process_writes_are_never_missed(app_dsn):
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    ctx = context()
    try:
        cached = CachedFlowStateStore(pool, ctx)
        flow_id = uuid.uuid4()
        await cached.save_state(flow_id, new_doc(flow_id))
        for expected in range(1, 4):
            # Another process (a real one) saves; our next read must see it at once.
            writer = subprocess.run([sys.executable, "-c", WRITER, app_dsn, str(flow_id),
                                     ctx.model_dump_json(), "1"], capture_output=True, text=True)
            assert writer.returncode == 0, writer.stderr
            document = await cached.load_state(flow_id)
            assert document.state_data["count"] == expected
            assert document.flow_version == expected + 1
        assert cached.misses >= 3
    finally:
        await pool.close()


async def test_unchanged_documents_come_from_memory_and_are_copies(app_dsn):
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    try:
        cached = CachedFlowStateStore(pool, context())
        flow_id = uuid.uuid4()
        saved = await cached.save_state(flow_id, new_doc(flow_id))
        first = await cached.load_state(flow_id)
        first.state_data["count"] = 999  # a caller's change must not reach the cache
        second = await cached.load_state(flow_id)
        assert cached.hits == 2
        assert second.state_data["count"] == 0 and second.flow_version == saved.flow_version
        plain = await FlowStateStore(pool, cached.context).load_state(flow_id)
        assert second == plain, "a cached document equals what a plain load returns"
    finally:
        await pool.close()


async def test_own_writes_and_transitions_are_seen(app_dsn):
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    try:
        cached = CachedFlowStateStore(pool, context(), max_entries=1)
        flow_id, other = uuid.uuid4(), uuid.uuid4()
        await cached.save_state(flow_id, new_doc(flow_id))
        await cached.save_state(other, new_doc(other))  # evicts flow_id (max_entries=1)
        moved = await cached.transition_phase(flow_id, "field_mapping", 1)
        document = await cached.load_state(flow_id)
        assert (document.current_phase, document.flow_version) == ("field_mapping", moved.flow_version)
        assert document.state_data["count"] == 0
        assert await cached.load_state(uuid.uuid4()) is None
    finally:
        await pool.close()


async def test_a_cached_save_reads_back_as_the_database_stores_it(app_dsn):
    # The cache keeps what the database holds, not the caller's Python objects: a datetime
    # is a string and a tuple a list once stored, in a cache hit as in a plain load.
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    try:
        cached = CachedFlowStateStore(pool, context())
        flow_id = uuid.uuid4()
        doc = new_doc(flow_id)
        doc["state_data"].update(when=datetime(2026, 11, 27, 5, 0, tzinfo=timezone.utc), pair=(1, 2),
                                 huge=2**70)
        await cached.save_state(flow_id, doc)
        hit = await cached.load_state(flow_id)
        assert cached.hits == 1
        plain = await FlowStateStore(pool, cached.context).load_state(flow_id)
        assert hit == plain
        assert hit.state_data["pair"] == [1, 2] and hit.state_data["huge"] == 2**70
    finally:
        await pool.close()
