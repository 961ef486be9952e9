"""pgflowstate.pool.ConnectionLane, the connection a store keeps from one query to the next.

What is checked is what callers see, on a real server: which server process answers, when the
pool has its connection back, that other callers waiting on the pool get their turn, and that a
lost or cancelled query leaves the lane and the pool working."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from pgflowstate.pool import ConnectionLane, create_pool

PID = "select pg_backend_pid()"


async def turns_until_idle(pool: asyncpg.Pool, limit: int = 5) -> int:
    """How many turns of the event loop pass before the pool has a connection idle again."""
    for turn in range(limit + 1):
        if pool.get_idle_size() == pool.get_size():
            return turn
        await asyncio.sleep(0)
    raise AssertionError(f"the pool had no idle connection after {limit} turns of the loop")


@pytest.fixture
async def pool_of_one(app_dsn):
    pool = await create_pool(app_dsn, min_size=1, max_size=1)
    yield pool
    await asyncio.wait_for(pool.close(), 10)


async def test_queries_in_a_row_keep_one_connection_which_goes_back_when_the_loop_turns(pool_of_one):
    lane = ConnectionLane(pool_of_one)
    pids = [await lane.fetchval(PID) for _ in range(5)]
    assert len(set(pids)) == 1
    assert pool_of_one.get_idle_size() == 0, "kept for the next query"
    assert await turns_until_idle(pool_of_one) <= 3  # the let-go, its task, asyncpg's release task
    assert dict(await lane.fetchrow("select $1::int as n", 7)) == {"n": 7}
    assert [r["n"] for r in await lane.fetch("select generate_series(1, 3) as n")] == [1, 2, 3]
    assert await lane.execute("select 1") == "SELECT 1"


async def test_a_refused_statement_keeps_the_connection(pool_of_one):
    lane = ConnectionLane(pool_of_one)
    pid = await lane.fetchval(PID)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await lane.fetchval("select 1 / 0")
    assert await lane.fetchval(PID) == pid


async def test_a_caller_waiting_through_the_same_lane_gets_the_connection_at_once(pool_of_one):
    lane = ConnectionLane(pool_of_one)
    done: list[str] = []

    async def busy() -> None:
        for _ in range(40):
            await lane.fetchval("select 1")
            done.append("busy")

    async def waiting() -> None:
        await asyncio.sleep(0)  # the busy task holds the connection first
        await lane.fetchval("select 2")
        done.append("waiting")

    await asyncio.gather(busy(), waiting())
    assert done.index("waiting") <= 2, done


async def test_a_caller_waiting_on_the_pool_itself_gets_a_turn_within_the_reuse_limit(pool_of_one):
    lane = ConnectionLane(pool_of_one)
    done: list[str] = []

    async def busy() -> None:
        for _ in range(4 * ConnectionLane.REUSE_LIMIT):
            await lane.fetchval("select 1")
            done.append("busy")

    async def direct() -> None:
        await asyncio.sleep(0)
        await pool_of_one.fetchval("select 2")  # not through the lane: it cannot see this one wait
        done.append("direct")

    await asyncio.gather(busy(), direct())
    assert done.index("direct") <= ConnectionLane.REUSE_LIMIT + 1, done


async def test_a_lost_connection_is_given_back_and_the_next_query_gets_another(pool_of_one, admin_dsn):
    lane = ConnectionLane(pool_of_one)
    pid = await lane.fetchval(PID)
    admin = await asyncpg.connect(admin_dsn)
    try:
        sleeping = asyncio.ensure_future(lane.fetchval("select pg_sleep(30)"))
        while not await admin.fetchval(
                "select exists (select from pg_stat_activity where pid = $1 and query like 'select pg_sleep%')", pid):
            await asyncio.sleep(0.01)
        assert await admin.fetchval("select pg_terminate_backend($1)", pid)
        with pytest.raises((asyncpg.PostgresConnectionError, asyncpg.AdminShutdownError, asyncpg.InterfaceError)):
            await asyncio.wait_for(sleeping, 10)
    finally:
        await admin.close()
    new_pid = await lane.fetchval(PID)
    assert new_pid != pid
    assert await lane.fetchval(PID) == new_pid


async def test_a_cancelled_query_leaves_the_lane_and_the_pool_working(pool_of_one):
    lane = ConnectionLane(pool_of_one)
    await lane.fetchval("select 1")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(lane.fetchval("select pg_sleep(30)"), 0.3)
    assert await asyncio.wait_for(lane.fetchval("select 42"), 10) == 42
    assert await asyncio.wait_for(pool_of_one.fetchval("select 43"), 10) == 43


async def test_the_pool_closes_right_after_a_query(app_dsn):
    pool = await create_pool(app_dsn, min_size=1, max_size=2)
    lane = ConnectionLane(pool)
    assert await lane.fetchval("select 1") == 1
    await asyncio.wait_for(pool.close(), 10)
    assert pool.get_size() == 0
