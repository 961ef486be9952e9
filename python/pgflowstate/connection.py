"""Connecting to PostgreSQL: every way pgflowstate opens a connection or a pool from a DSN, and
the one place that turns a failure to connect into ConnectionFailed, one readable line (the
CLI's exit code 2)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import quote, urlencode

import asyncpg
import psycopg
from psycopg.conninfo import conninfo_to_dict

from .pool import create_pool, set_json_codecs

CONNECT_TIMEOUT = 10  # seconds: never hang a command on an unreachable host

# What asyncpg raises when it cannot connect: refused or unreachable (OSError), too slow
# (TimeoutError), turned away by the server (PostgresError: password, no such database), a
# broken handshake (InterfaceError), a DSN it cannot read (ValueError).
CONNECT_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError)


class DatabaseError(Exception):
    """A database operation failed; the CLI prints one line and exits 1."""


class ConnectionFailed(DatabaseError):
    """The DSN is malformed or the server cannot be reached (CLI exit code 2)."""


class SetupError(ConnectionFailed):
    """pgflowstate is not set up to run here: no tenant configured for a real server, a tenant
    id that is not a UUID, or a database without the flowstate schema (CLI exit code 2)."""


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def describe(dsn: str | None) -> str:
    """host:port/dbname for messages; never shows a password."""
    try:
        params = conninfo_to_dict(dsn or "")
    except psycopg.Error:
        return "<invalid dsn>"
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return f"{host}:{port}/{params.get('dbname') or params.get('user') or ''}"


def redacted(dsn: str | None) -> str | None:
    """The DSN with its password replaced by ``***``, for repr() and logs."""
    if not dsn:
        return dsn
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "<invalid dsn>"
    if not params.get("password"):
        return dsn
    return url(dsn, password="***").replace("%2A%2A%2A", "***")


def url(dsn: str, **overrides: Any) -> str:
    """A postgresql:// URL (which asyncpg, psycopg and yoyo all accept) from any libpq DSN,
    with some parameters replaced, e.g. url(dsn, dbname="x", user="y", password="z")."""
    params = conninfo_to_dict(dsn)
    params.update({k: str(v) for k, v in overrides.items() if v is not None})
    user, password = params.pop("user", None), params.pop("password", None)
    host, port = params.pop("host", None), params.pop("port", None)
    dbname = params.pop("dbname", "")
    netloc = ""
    if user:
        netloc = quote(user, safe="") + (":" + quote(password, safe="") if password else "") + "@"
    if host and not host.startswith("/") and "," not in host:
        netloc += f"[{host}]" if ":" in host else host
        if port:
            netloc += f":{port}"
    else:  # unix socket directory or a host list: query parameters
        params.update({k: v for k, v in (("host", host), ("port", port)) if v})
    query = ("?" + urlencode(params)) if params else ""
    return f"postgresql://{netloc}/{quote(dbname, safe='')}{query}"


def asyncpg_url(dsn: str | None) -> str | None:
    """asyncpg takes URLs only; libpq key=value DSNs are converted. None stays None (asyncpg
    then reads the PG* environment)."""
    if dsn is None:
        return None
    try:
        return url(dsn)
    except Exception as exc:
        raise ConnectionFailed(f"invalid DSN: {one_line(exc)}") from exc


@contextmanager
def connect_errors(dsn: str | None) -> Iterator[None]:
    """Failures to connect to ``dsn`` inside the block become ConnectionFailed."""
    try:
        yield
    except CONNECT_ERRORS as exc:
        raise ConnectionFailed(f"cannot connect to {describe(dsn)}: {one_line(exc)}") from exc


@asynccontextmanager
async def connection(dsn: str | None) -> AsyncIterator[asyncpg.Connection]:
    """One asyncpg connection with the wrapper's JSON codecs, closed at the end of the block."""
    with connect_errors(dsn):
        conn = await asyncpg.connect(asyncpg_url(dsn), timeout=CONNECT_TIMEOUT)
    try:
        await set_json_codecs(conn)
        yield conn
    finally:
        await conn.close()


async def open_pool(dsn: str | None, **asyncpg_options: Any) -> asyncpg.Pool:
    """create_pool on ``dsn`` (any libpq DSN), failures to connect as ConnectionFailed."""
    asyncpg_options.setdefault("timeout", CONNECT_TIMEOUT)
    with connect_errors(dsn):
        return await create_pool(asyncpg_url(dsn), **asyncpg_options)


def psycopg_connection(dsn: str, **kwargs: Any) -> psycopg.Connection:
    """A psycopg connection (schema upgrades run on psycopg, as yoyo does)."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise ConnectionFailed(f"invalid DSN: {one_line(exc)}") from exc
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
    try:
        return psycopg.connect(**params, **kwargs)
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(f"cannot connect to {describe(dsn)}: {one_line(exc)}") from exc
