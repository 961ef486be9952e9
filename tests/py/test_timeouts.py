"""Nothing waits forever: a write behind a lock held elsewhere gives up after lock_timeout (or
statement_timeout) with FlowBusyError (FS007), and nothing was written."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import pytest
from crewai_flows import new_persistence

from flowdocs import new_context, new_doc
from pgflowstate import FlowBusyError, FlowStateStore, create_pool


class RowLock:
    """A DBA's open transaction holding a flow's row lock (SELECT ... FOR UPDATE)."""

    def __init__(self, admin_dsn: str, flow_id: uuid.UUID) -> None:
        self.admin_dsn, self.flow_id = admin_dsn, flow_id

    async def __aenter__(self) -> "RowLock":
        self.conn = await asyncpg.connect(self.admin_dsn)
        self.transaction = self.conn.transaction()
        await self.transaction.start()
        await self.conn.execute("select from flowstate.flows where flow_id = $1 for update", self.flow_id)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.transaction.rollback()
        await self.conn.close()


async def stored(admin_dsn: str, flow_id: uuid.UUID) -> tuple[int, int]:
    """The flow's version and audit row count."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        return tuple(await conn.fetchrow(
            "select (select flow_version from flowstate.flows where flow_id = $1),"
            " (select count(*) from flowstate.audit_log where flow_id = $1)", flow_id))
    finally:
        await conn.close()


WRITES = {
    "save_state": lambda s, f: s.save_state(f, new_doc(f, n=1), version=1),
    "put_state": lambda s, f: s.put_state(f, new_doc(f, n=1)),
    "transition_phase": lambda s, f: s.transition_phase(f, "field_mapping"),
    "create_checkpoint": lambda s, f: s.create_checkpoint(f),
}


async def busy(admin_dsn: str, store: FlowStateStore, write) -> tuple[FlowBusyError, float, uuid.UUID]:
    """Run ``write`` on a new flow whose row a DBA holds locked; check nothing was written."""
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    before = await stored(admin_dsn, flow_id)
    async with RowLock(admin_dsn, flow_id):
        started = time.monotonic()
        with pytest.raises(FlowBusyError) as caught:
            await write(store, flow_id)
        waited = time.monotonic() - started
    assert await stored(admin_dsn, flow_id) == before, "nothing was written"
    assert caught.value.sqlstate == "FS007" and caught.value.flow_id == flow_id
    return caught.value, waited, flow_id


@pytest.mark.parametrize("name", WRITES)
async def test_a_write_behind_a_held_row_lock_is_busy_within_the_store_lock_timeout(name, admin_dsn, app_dsn):
    """On a plain asyncpg pool, which sets nothing: the store sets lock_timeout in its statement."""
    pool = await asyncpg.create_pool(app_dsn, min_size=1, max_size=1)
    try:
        error, waited, _ = await busy(admin_dsn, FlowStateStore(pool, new_context(), lock_timeout=0.2), WRITES[name])
        assert error.timeout == "lock_timeout"
        assert isinstance(error.__cause__, asyncpg.LockNotAvailableError)
        assert 0.2 <= waited < 5
        # The setting lasted for that statement only: the connection keeps its own.
        assert await pool.fetchval("select current_setting('lock_timeout')") == "0"
    finally:
        await pool.close()


async def test_create_pool_bounds_the_wait_by_itself(admin_dsn, app_dsn):
    pool = await create_pool(app_dsn, lock_timeout=0.2, min_size=1, max_size=1)
    try:
        error, waited, _ = await busy(admin_dsn, FlowStateStore(pool, new_context(), lock_timeout=None),
                                      WRITES["save_state"])
        assert error.timeout == "lock_timeout" and waited < 5
    finally:
        await pool.close()


async def test_a_call_past_statement_timeout_is_busy_and_writes_nothing(admin_dsn, app_dsn):
    pool = await create_pool(app_dsn, lock_timeout=None, statement_timeout=0.3, min_size=1, max_size=1)
    try:
        error, waited, _ = await busy(admin_dsn, FlowStateStore(pool, new_context(), lock_timeout=None),
                                      WRITES["save_state"])
        assert error.timeout == "statement_timeout" and 0.3 <= waited < 5
        assert isinstance(error.__cause__, asyncpg.QueryCanceledError)
    finally:
        await pool.close()


async def test_by_default_a_write_waits_five_seconds_at_most(admin_dsn, app_dsn):
    pool = await create_pool(app_dsn, min_size=1, max_size=1)
    try:
        assert await pool.fetchval("select current_setting('lock_timeout')") == "5s"
        assert await pool.fetchval("select current_setting('statement_timeout')") == "30s"
        error, waited, _ = await busy(admin_dsn, FlowStateStore(pool, new_context()), WRITES["save_state"])
        assert error.timeout == "lock_timeout" and 5 <= waited < 10
    finally:
        await pool.close()


async def test_settings_of_your_own_win_and_none_leaves_the_server_s(app_dsn):
    pool = await create_pool(app_dsn, lock_timeout=None, statement_timeout=30,
                             server_settings={"statement_timeout": "7s"}, min_size=1, max_size=1)
    try:
        assert await pool.fetchval("select current_setting('statement_timeout')") == "7s"
        assert await pool.fetchval("select current_setting('lock_timeout')") == "0"
    finally:
        await pool.close()


async def test_a_crewai_save_behind_a_held_row_lock_is_busy_and_writes_nothing(admin_dsn, app_dsn):
    persistence = new_persistence(app_dsn, lock_timeout=0.2)
    try:
        await asyncio.to_thread(persistence.save_state, "run-1", "start", {"n": 0})
        flow_id = await asyncio.to_thread(persistence.flow_id, "run-1")
        before = await stored(admin_dsn, flow_id)
        async with RowLock(admin_dsn, flow_id):
            with pytest.raises(FlowBusyError) as caught:
                await asyncio.to_thread(persistence.save_state, "run-1", "next", {"n": 1})
        assert await stored(admin_dsn, flow_id) == before
        assert caught.value.timeout == "lock_timeout" and caught.value.detail["external_id"] == "run-1"
    finally:
        await asyncio.to_thread(persistence.close)
