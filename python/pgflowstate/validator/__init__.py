"""Whole-database validation, as the original plan's `python -m pgflowstate.validator --check-all`.

The rules are the database's: ``flowstate.flow_validate_all()`` checks every stored flow in one
statement (admin only). ``FlowStateValidator`` validates documents that are not stored.

    python -m pgflowstate.validator --check-all [--dsn DSN] [--json]

is the same command as ``pgflowstate validate --check-all``: exit 0 when every flow is valid,
1 when some are not (they are listed), 2 on a usage or connection error.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from .manager import FlowStateValidator

__all__ = ["FlowStateValidator", "check_all"]


async def check_all(connection: asyncpg.Connection | asyncpg.Pool) -> dict[str, Any]:
    """flowstate.flow_validate_all(): {"checked": flows checked, "invalid": [{"flow_id",
    "errors"}], "valid": bool}. Needs a superuser or a flowstate_admin member (FS001 else)."""
    invalid = await connection.fetch("select flow_id, errors from flowstate.flow_validate_all()")
    checked = await connection.fetchval("select count(*) from flowstate.flows")
    return {
        "checked": checked,
        "invalid": [{"flow_id": str(r["flow_id"]), "errors": list(r["errors"])} for r in invalid],
        "valid": not invalid,
    }


if __name__ == "__main__":
    from pgflowstate.cli_ops import validate

    validate(prog_name="python -m pgflowstate.validator")
