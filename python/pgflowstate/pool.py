"""asyncpg connections and pools set up for the wrapper: the codec's JSON for json and jsonb,
and no reset query each time a connection goes back to its pool."""

from __future__ import annotations

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
