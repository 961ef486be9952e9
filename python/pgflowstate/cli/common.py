"""What every command shares: exit codes, one-line errors, --dsn/--json and the tenant
options, one connection per command, and the plain-text helpers the formatters use.

Exit codes scripts can trust: 0 ok, 1 the operation failed, 2 usage or connection error.
Errors are one line on stderr, never a traceback (set PGFLOWSTATE_DEBUG=1 to see one).
`--json` prints one JSON document on stdout.

To add a command: write it in the module of its topic with `@click.command`, take
`@dsn_option` and `@json_option`, call the library through `run()` (or inside
`with cli_errors():`), print with `emit(result, as_json, formatter)`, and add it to `main`'s
list in cli/__init__.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Iterator, TypeVar
from uuid import UUID

import asyncpg
import click

from .. import server
from ..connection import ConnectionFailed, DatabaseError, connection
from ..errors import StateError
from ..models import RequestContext
from ..store import FlowStateStore

T = TypeVar("T")

EXIT_FAILED, EXIT_USAGE = 1, 2


def fail(message: str, code: int) -> None:
    click.echo(f"pgflowstate: error: {message}", err=True)
    sys.exit(code)


@contextmanager
def cli_errors():
    """Turn library errors into one stderr line and an exit code."""
    try:
        yield
    except ConnectionFailed as exc:
        fail(str(exc), EXIT_USAGE)
    except DatabaseError as exc:
        fail(str(exc), EXIT_FAILED)
    except Exception as exc:  # a bug or an unexpected server error: still one line
        if os.environ.get("PGFLOWSTATE_DEBUG"):  # developers want the traceback
            raise
        fail(f"{type(exc).__name__}: {' '.join(str(exc).split())}", EXIT_FAILED)


@contextmanager
def operation_errors() -> Iterator[None]:
    """flowstate's errors (and other server errors) as one line and exit code 1."""
    try:
        yield
    except StateError as exc:
        errors = exc.detail.get("errors")
        reason = exc.detail.get("reason")
        message = str(exc)
        for extra in (" ".join(errors) if errors else None, reason):
            if extra and extra not in message:
                message += f": {extra}"
        fail(f"{message} [{exc.sqlstate}]", EXIT_FAILED)
    except asyncpg.PostgresError as exc:
        fail(f"{exc.message} [{exc.sqlstate}]", EXIT_FAILED)


def resolve_dsn(dsn: str | None) -> str:
    """--dsn, else $DATABASE_URL (click fills it in), else the embedded local server, which
    is started (and given the schema) on first use."""
    with cli_errors():
        return server.default_dsn(dsn)


def emit(result: dict, as_json: bool, human: Callable[[dict], str]) -> None:
    click.echo(json.dumps(result, indent=2, default=str) if as_json else human(result))


dsn_option = click.option(
    "--dsn", envvar="DATABASE_URL", show_envvar=True, metavar="DSN",
    help="PostgreSQL connection string (URL or key=value); default $DATABASE_URL.",
)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")



def tenant_options(command: Callable) -> Callable:
    """--client-account-id/--engagement-id/--user-id: act as that tenant (all three or none)."""
    for name, what in reversed((("client-account-id", "client account"),
                                ("engagement-id", "engagement"), ("user-id", "user"))):
        variable = server.TENANT_VARIABLES[name.replace("-", "_")]
        command = click.option(f"--{name}", type=click.UUID, metavar="UUID",
                               help=f"Act as this {what} (give all three tenant options; default ${variable})."
                               )(command)
    return command


def tenant_context(client_account_id: UUID | None, engagement_id: UUID | None,
                   user_id: UUID | None) -> RequestContext | None:
    """The tenant options' context, else the tenant named by $PGFLOWSTATE_CLIENT_ACCOUNT_ID,
    $PGFLOWSTATE_ENGAGEMENT_ID and $PGFLOWSTATE_USER_ID (as the CrewAI backend reads them), else
    None (all tenants, admins only)."""
    given = [v for v in (client_account_id, engagement_id, user_id) if v is not None]
    if not given:
        with cli_errors():
            return server.tenant_from_env()
    if len(given) < 3:
        fail("--client-account-id, --engagement-id and --user-id go together", EXIT_USAGE)
    return RequestContext(client_account_id=client_account_id, engagement_id=engagement_id, user_id=user_id)


# -- flow ids -----------------------------------------------------------------------------

# flowstate.flow_id_for keeps a canonical UUID (lower-case, hyphenated) as the flow id and
# maps any other string, other spellings of a UUID included, with the tenant.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class CrewAIId(str):
    """A flow id as CrewAI knows it (any string but a canonical UUID): the flow's id is
    flowstate.flow_id_for(it, tenant), so it needs the tenant options, or a unique match among
    every tenant's external ids (admins)."""


class FlowIdType(click.ParamType):
    """A flow id argument: a canonical UUID as is, anything else a CrewAI id (CrewAIId)."""

    name = "flow_id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> UUID | CrewAIId:
        if isinstance(value, (UUID, CrewAIId)):
            return value
        if not isinstance(value, str) or not value or "\x00" in value:
            self.fail("expected a flow id (a UUID) or a CrewAI flow id", param, ctx)
        return UUID(value) if _CANONICAL_UUID.fullmatch(value) else CrewAIId(value)


FLOW_ID = FlowIdType()


async def flow_id_of(conn: asyncpg.Connection, flow: UUID | CrewAIId, context: RequestContext | None) -> UUID:
    """The flow id a FLOW_ID argument names: a UUID is one; a CrewAI id is mapped in SQL with
    the tenant (flowstate.flow_id_for), or, without tenant options, looked up by external id
    across tenants, which must find exactly one flow."""
    if isinstance(flow, UUID):
        return flow
    store = FlowStateStore(conn, context)
    if context is not None:
        return await store.flow_id_for(flow)
    found = (await store.search(external_id=flow, limit=2)).flows
    if len(found) > 1:
        fail(f"the CrewAI id {flow!r} names flows of more than one tenant: give --client-account-id,"
             " --engagement-id and --user-id", EXIT_USAGE)
    if not found:
        fail(f"no flow has the CrewAI id {flow!r} (give the tenant options to map it as the CrewAI"
             " backend does)", EXIT_FAILED)
    return found[0].flow_id


def run_on_flow(dsn: str | None, flow: UUID | CrewAIId, context: RequestContext | None,
                work: Callable[[asyncpg.Connection, UUID], Awaitable[T]]) -> tuple[UUID, T]:
    """run() for a command on one flow: map the FLOW_ID argument, then ``work(conn, flow_id)``;
    returns the flow id and the work's result."""

    async def go(conn: asyncpg.Connection) -> tuple[UUID, T]:
        flow_id = await flow_id_of(conn, flow, context)
        return flow_id, await work(conn, flow_id)

    return run(dsn, go)


def run(dsn: str | None, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Resolve the DSN, open one connection, run ``work`` on it; errors end the command."""
    dsn = resolve_dsn(dsn)
    with cli_errors(), operation_errors():

        async def go() -> T:
            async with connection(dsn) as conn:
                return await work(conn)

        return asyncio.run(go())


def store_for(conn: asyncpg.Connection, context: RequestContext | None) -> FlowStateStore:
    """A FlowStateStore on one connection (it needs only fetch/fetchval)."""
    return FlowStateStore(conn, context)


class Answers:
    """The connection a command's FlowStateStore calls through when the command prints what
    SQL returned: it keeps the last value a call returned, so --json shows a document exactly
    as stored (the typed result writes timestamps its own way), while the wrapper makes the
    call (its SQL, its argument checks, its error mapping)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.last: Any = None

    async def fetchval(self, query: str, *args: Any) -> Any:
        self.last = await self.conn.fetchval(query, *args)
        return self.last

    async def fetchrow(self, query: str, *args: Any) -> Any:
        self.last = await self.conn.fetchrow(query, *args)
        return self.last

    def __getattr__(self, name: str) -> Any:  # fetch, fetchrow, ...: the connection's own
        return getattr(self.conn, name)


def utc(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value is None:
        return ""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def table(headers: list[str], rows: list[list[Any]], right: set[int] = frozenset()) -> str:
    """A plain text table; columns in ``right`` are right-aligned."""
    cells = [headers] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w)
                       for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def not_found(flow_id: UUID, given: UUID | str | None = None) -> None:
    """Exit 1: no such flow (``given``: the id as typed, when it was a CrewAI id)."""
    named = f"{given!r} (flow {flow_id})" if given is not None and str(given) != str(flow_id) else str(flow_id)
    fail(f"flow {named} not found", EXIT_FAILED)
