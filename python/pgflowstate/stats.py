"""What the database knows about its own use, as `pgflowstate stats` shows it.

Every figure but the statements' comes from ``flowstate.flow_stats()``, which a DBA can call
in psql too. The slowest statements calling flowstate come from pg_stat_statements, where it
is installed, read here with the caller's own rights: they decide whose statements it shows
(a function cannot, since it runs with its owner's).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from .codec import context_json, decode_json
from .errors import sqlstate_errors
from .models import RequestContext

# As text: decoded here whatever the connection's jsonb codec.
_FIGURES = (
    "select flowstate.flow_stats(p_context => $1, p_top => $2)::text,"
    " (select n.nspname from pg_catalog.pg_extension e join pg_catalog.pg_namespace n"
    " on n.oid = e.extnamespace where e.extname = 'pg_stat_statements')"
)
_STATEMENTS = """
select query, calls, mean_exec_time as mean_ms, total_exec_time as total_ms
  from {schema}.pg_stat_statements
 where query ~* 'flowstate\\.flow_\\w+\\s*\\(' and calls > 0  -- calls of the functions, not DDL
   and query !~* '^\\s*(create|comment|grant|revoke|alter|drop|do)\\M'
 order by mean_exec_time desc limit $1"""

# jsonb keeps no key order; the report keeps the order it has always had.
_FLOW_KEYS = ("flow_type", "current_phase", "status", "flows")
_FUNCTION_KEYS = ("function", "calls", "mean_ms", "total_ms", "self_ms")
_STORAGE_KEYS = ("audit_rows", "audit_bytes", "audit_rows_24h", "audit_bytes_24h", "checkpoints",
                 "checkpoint_bytes", "quarantined", "quarantined_24h")


def _ordered(rows: list[dict[str, Any]] | None, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{k: row[k] for k in keys} for row in rows or []]


async def database_stats(connection: asyncpg.Connection, top: int = 10,
                         context: RequestContext | None = None) -> dict[str, Any]:
    """Flows by type, phase and status, audit growth, checkpoints, quarantine (flow_stats), and
    the ``top`` slowest flowstate functions and statements, with a note where the server does
    not track them. ``context`` None: every tenant (admins only)."""
    with sqlstate_errors():
        figures, statements_schema = await connection.fetchrow(_FIGURES, context_json(context), top)
    figures = decode_json(figures)
    track = figures["track_functions"]
    stats: dict[str, Any] = {
        "flows": _ordered(figures["flows"], _FLOW_KEYS),
        **{k: figures[k] for k in _STORAGE_KEYS},
        "functions": {"track_functions": track, "note": None,
                      "slowest": _ordered(figures["slowest_functions"], _FUNCTION_KEYS)},
        "statements": {"installed": False, "note": None, "slowest": []},
        "flows_total": figures["flows_total"],
    }
    if track == "none":
        stats["functions"]["note"] = (
            "track_functions is off: ALTER SYSTEM SET track_functions = 'pl'; SELECT pg_reload_conf();")
    if statements_schema is None:
        stats["statements"]["note"] = (
            "pg_stat_statements is not installed here (shared_preload_libraries, then CREATE EXTENSION)")
    else:
        stats["statements"]["installed"] = True
        try:
            rows = await connection.fetch(_STATEMENTS.format(schema=f'"{statements_schema}"'), top)
            stats["statements"]["slowest"] = [dict(r) for r in rows]
        except asyncpg.PostgresError as exc:
            stats["statements"]["note"] = exc.message
    return stats
