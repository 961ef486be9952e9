"""asyncpg connections and pools set up for the wrapper: the codec's JSON for json and jsonb,
no reset query each time a connection goes back to its pool, and a lane that keeps a pool's
connection from one query to the next."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from .codec import decode_json, encode_json


def _codec_encoder(value: Any) -> str:
    # A str is JSON text already, as with asyncpg's stock codec.
    return value if isinstance(value, str) else encode_json(value)


class NoResetConnection(asyncpg.Connection):
    """A connection that skips asyncpg's reset query on release to the pool.

    asyncpg's pool sends ``RESET ALL; UNLISTEN *; ...`` every time a connection is released:
    one round trip per call. The wrapper leaves no session state behind, so nothing needs
    resetting. An open transaction is still rolled back (``Connection._reset`` does that
    without a query unless one is open).
    """

    def get_reset_query(self) -> str:
        return ""


async def set_json_codecs(connection: asyncpg.Connection) -> None:
    """Register orjson-based codecs for json and jsonb (Python values in, Python values out)."""
    for typename in ("json", "jsonb"):
        await connection.set_type_codec(
            typename,
            schema="pg_catalog",
            encoder=_codec_encoder,
            decoder=decode_json,
            format="text",
        )


DEFAULT_LOCK_TIMEOUT = 5.0
DEFAULT_STATEMENT_TIMEOUT = 30.0


def milliseconds(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


async def create_pool(
    dsn: str | None = None,
    *,
    pgbouncer: bool = False,
    lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT,
    statement_timeout: float | None = DEFAULT_STATEMENT_TIMEOUT,
    **asyncpg_options: Any,
) -> asyncpg.Pool:
    """An asyncpg pool set up for the wrapper: orjson codecs, no per-release reset query, and
    nothing waits forever.

    Takes asyncpg.create_pool's options (``min_size``, ``max_size``, ...); an ``init`` of yours
    runs after the codecs are set. A ``connection_class`` of yours should subclass
    NoResetConnection to keep the saving.

    ``lock_timeout`` and ``statement_timeout`` (seconds; None: the server's setting) are sent
    when each connection opens (``server_settings``, which win if you give them too), so they
    cost no round trip. Running out raises FlowBusyError, with nothing written.

    ``pgbouncer=True`` for PgBouncer in transaction pooling mode: consecutive statements may
    reach different server connections, so asyncpg's named prepared statements (its statement
    cache) must be off. Each call then parses its statement again, one extra round trip
    that PgBouncer 1.21+ avoids with ``max_prepared_statements`` set (use pgbouncer=False there).
    PgBouncer refuses these settings when a connection opens: set them on the role there
    (``ALTER ROLE ... SET statement_timeout = '30s'``); FlowStateStore still bounds its writes'
    lock waits in each statement.
    """
    user_init = asyncpg_options.pop("init", None)
    if pgbouncer:
        asyncpg_options["statement_cache_size"] = 0
    else:
        settings = dict(asyncpg_options.pop("server_settings", None) or {})
        for name, seconds in (("lock_timeout", lock_timeout), ("statement_timeout", statement_timeout)):
            if seconds is not None:
                settings.setdefault(name, milliseconds(seconds))
        asyncpg_options["server_settings"] = settings

    async def init(connection: asyncpg.Connection) -> None:
        await set_json_codecs(connection)
        if user_init is not None:
            await user_init(connection)

    asyncpg_options.setdefault("connection_class", NoResetConnection)
    return await asyncpg.create_pool(dsn, init=init, **asyncpg_options)


def is_open(connection: Any) -> bool:
    """Whether a connection taken from a pool is still open to use."""
    try:
        return not connection.is_closed()
    except asyncpg.InterfaceError:  # the pool took it back itself when it closed
        return False


class ConnectionLane:
    """A pool's connection, kept from one query to the next.

    asyncpg's ``Pool.fetchval`` (and its siblings) takes a connection and gives it back for
    every query: a task (``asyncio.shield``), a timer and futures, 75-90 us of Python, about as
    much as the rest of the client side of a 1 KB load. A lane keeps the connection while
    queries follow one another. It goes back to the pool:

    - at the end of the first turn of the event loop in which no query used it;
    - at once when a caller of this lane waits for the pool meanwhile, and after
      ``REUSE_LIMIT`` queries in a row, so that a task querying in a tight loop never keeps the
      connection from callers waiting on the pool itself;
    - at once when a query fails other than with a PostgreSQL error on an open connection (a
      lost connection, a cancelled query): asyncpg then resets or drops it.

    A query that finds the lane's connection in use goes through the pool, as without a lane.
    Query methods: ``fetchval``, ``fetchrow``, ``fetch``, ``execute``.
    """

    REUSE_LIMIT = 16

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._held: Any = None  # the pool's PoolConnectionProxy
        self._busy = False
        self._waiting = 0  # this lane's callers waiting for the pool
        self._uses = 0
        self._let_go_soon: asyncio.Handle | None = None
        self._releases: set[asyncio.Task] = set()

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._run("fetchval", query, args)

    async def fetchrow(self, query: str, *args: Any) -> Any:
        return await self._run("fetchrow", query, args)

    async def fetch(self, query: str, *args: Any) -> Any:
        return await self._run("fetch", query, args)

    async def execute(self, query: str, *args: Any) -> Any:
        return await self._run("execute", query, args)

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        if self._busy:
            self._waiting += 1
            try:
                return await getattr(self._pool, method)(query, *args)
            finally:
                self._waiting -= 1
        self._busy = True
        try:
            held = await self._take()
            try:
                return await getattr(held, method)(query, *args)
            except BaseException as exc:
                if not isinstance(exc, asyncpg.PostgresError) or not is_open(held):
                    self._held = None
                    await self._pool.release(held)
                raise
        finally:
            self._busy = False
            self._after_use()

    async def _take(self) -> Any:
        if self._held is None:
            self._uses = 0
            self._held = await self._pool.acquire()
        elif self._let_go_soon is not None:
            self._let_go_soon.cancel()
            self._let_go_soon = None
        return self._held

    def _after_use(self) -> None:
        if self._held is None:
            return
        self._uses += 1
        if self._waiting or self._uses >= self.REUSE_LIMIT:
            self._let_go()
        else:
            self._let_go_soon = asyncio.get_running_loop().call_soon(self._let_go)

    def _let_go(self) -> None:
        self._let_go_soon = None
        held, self._held = self._held, None
        if held is not None:
            release = asyncio.ensure_future(self._pool.release(held))
            self._releases.add(release)  # referenced until done, as asyncio asks
            release.add_done_callback(self._releases.discard)
