"""One statement on a pool, sent again after a lost connection.

A connection that dies during a call leaves its outcome unknown: the statement may never have
run, or it may have committed with its reply lost. So a lost connection, and only that, is
retried, with the same arguments. A read is simply read again. A write carries a request id
made once per logical call (``p_request_id``), so the database answers a retry of a write
that committed with the first call's result instead of applying it twice (flowstate.request_ids).
Every attempt is still one statement on one connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import asyncpg

from .errors import sqlstate_errors

logger = logging.getLogger("pgflowstate")

# asyncpg's words for a connection that is gone or unusable (the statement was not sent, or
# its reply cannot arrive): a pool can hand out such a connection while a server restarts.
_LOST_MESSAGES = ("another operation is in progress", "connection is closed", "connection was closed")

_LOST = (
    OSError,  # reset, refused, broken pipe, connect timeout
    asyncpg.PostgresConnectionError,  # 08xxx, ConnectionDoesNotExistError among them
    asyncpg.AdminShutdownError,  # 57P01: the server ended the session (pg_terminate_backend)
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.TooManyConnectionsError,  # 53300: only at connect, before anything was sent
)


def connection_lost(exc: BaseException) -> bool:
    """Whether a call failed for want of a working connection rather than for what it asked:
    then sending it again (a write with the same request id) is safe."""
    for error in (exc, exc.__cause__):
        if isinstance(error, _LOST):
            return True
        if isinstance(error, asyncpg.InterfaceError) and any(m in str(error) for m in _LOST_MESSAGES):
            return True
    return False


async def call(
    pool: Any,
    method: str,
    query: str,
    args: tuple[Any, ...],
    *,
    retries: int,
    backoff: float,
    flow_id: object = None,
    json_param: int | Mapping[int, str] | None = None,
) -> Any:
    """``pool.<method>(query, *args)`` with FS00x mapped (see sqlstate_errors); after a lost
    connection the same call again, up to ``retries`` more times, waiting ``backoff`` seconds
    before the first retry and twice as long before each next one."""
    for attempt in range(retries + 1):
        try:
            with sqlstate_errors(json_param, flow_id):
                return await getattr(pool, method)(query, *args)
        except Exception as exc:
            if attempt == retries or not connection_lost(exc):
                raise
            logger.warning("connection lost (%s: %s); sending the call again (retry %d of %d)",
                           type(exc).__name__, exc, attempt + 1, retries,
                           extra={"flow_id": None if flow_id is None else str(flow_id)})
        await asyncio.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")
