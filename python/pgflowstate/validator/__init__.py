"""Whole-database validation, as the original plan's `python -m pgflowstate.validator --check-all`.

The rules are the database's: ``flowstate.flow_validate_all()`` checks every stored flow in one
statement (admin only). ``FlowStateValidator`` validates documents that are not stored.

    python -m pgflowstate.validator --check-all [--dsn DSN] [--json]

is the same command as ``pgflowstate validate --check-all`` (``__main__.py`` runs it): exit 0
when every flow is valid, 1 when some are not (they are listed), 2 on a usage or connection
error.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from ..codec import decode_json
from ..errors import sqlstate_errors
from ..manager import FlowStateValidator

__all__ = ["FlowStateValidator", "check_all"]

# One statement, so one round trip and one snapshot: the flows counted are the flows checked.
# json, not jsonb: it keeps each entry's keys in the order written.
_CHECK_ALL = (
    "select (select coalesce(sum(c.flows), 0) from flowstate.flow_counts(p_context => null) c)::bigint,"
    " (select coalesce(json_agg(json_build_object('flow_id', v.flow_id, 'errors', v.errors)"
    " order by v.flow_id), '[]') from flowstate.flow_validate_all() v)::text"
)


async def check_all(connection: asyncpg.Connection | asyncpg.Pool) -> dict[str, Any]:
    """flowstate.flow_validate_all() and the number of flows it checked (flow_counts):
    {"checked", "invalid": [{"flow_id", "errors"}], "valid": bool}. Needs a superuser or a
    flowstate_admin member (StateValidationError, FS001, else)."""
    with sqlstate_errors():
        checked, invalid = await connection.fetchrow(_CHECK_ALL)
    invalid = decode_json(invalid)
    return {"checked": checked, "invalid": invalid, "valid": not invalid}
