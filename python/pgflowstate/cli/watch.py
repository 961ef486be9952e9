"""`pgflowstate watch`: the alerts on flowstate_alerts, one line each, as they arrive."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from uuid import UUID

import click

from ..alerts import ALERT_CHANNEL, listen_alerts
from ..connection import ConnectionFailed, asyncpg_url, connect_errors, describe
from ..models import RequestContext
from .common import (cli_errors, dsn_option, json_option, operation_errors, resolve_dsn, tenant_context,
                     tenant_options, utc)


@click.command("watch")
@click.option("--count", type=click.IntRange(min=1), help="Stop after this many alerts.")
@dsn_option
@json_option
@tenant_options
def watch(count: int | None, dsn: str | None, as_json: bool, **tenant: UUID | None) -> None:
    """Print alerts as they arrive, until Ctrl-C.

    One line per recovery or corrupted state reset (NOTIFY flowstate_alerts, details read
    with flow_alert): every tenant's, or with the tenant options that tenant's only. --json
    prints each alert's details as flow_alert returns them."""
    dsn = resolve_dsn(dsn)
    context = tenant_context(**tenant)
    try:
        with cli_errors(), operation_errors():
            asyncio.run(watch_alerts(dsn, context, count, as_json))
    except KeyboardInterrupt:
        pass


async def watch_alerts(dsn: str, context: RequestContext | None, count: int | None, as_json: bool) -> None:
    async with AsyncExitStack() as stack:
        with connect_errors(dsn):
            alerts = await stack.enter_async_context(listen_alerts(asyncpg_url(dsn), context=context, timeout=10))
        click.echo(f"watching {ALERT_CHANNEL} on {describe(dsn)}; Ctrl-C to stop", err=True)
        seen = 0
        try:
            async for alert in alerts:
                click.echo(alert_json(alert) if as_json else format_alert(alert))
                seen += 1
                if count is not None and seen >= count:
                    return
        except ConnectionError as exc:
            raise ConnectionFailed(str(exc)) from exc


def alert_json(alert) -> str:
    if alert.event is None:  # not a JSON object: keep the text
        return json.dumps({"payload": alert.payload}, ensure_ascii=False)
    details = alert.model_dump(mode="json", exclude={"payload"})
    return json.dumps(details, ensure_ascii=False, separators=(",", ":"))


_ALERT_FIELDS = {"event", "alert_id", "flow_id", "flow_type", "flow_version", "current_phase", "client_account_id",
                 "engagement_id", "actor_user_id", "actor_role", "at", "payload"}



def format_alert(alert) -> str:
    if alert.event is None:
        return f"{utc(datetime.now(timezone.utc))} unparsed alert: {alert.payload}"
    extra = {k: v for k, v in alert.model_dump(mode="json").items() if k not in _ALERT_FIELDS}
    # Scalars first, then lists (validation errors: sentences), quoted.
    items = sorted(extra.items(), key=lambda kv: isinstance(kv[1], list))
    details = " ".join(f"{k}={json.dumps('; '.join(map(str, v)), ensure_ascii=False)}" if isinstance(v, list)
                       else f"{k}={v}" for k, v in items)
    return (f"{utc(alert.at) if alert.at else '-'} {alert.event} flow={alert.flow_id} type={alert.flow_type} "
            f"version={alert.flow_version} phase={alert.current_phase} client_account={alert.client_account_id} "
            f"engagement={alert.engagement_id} by={alert.actor_role}"
            + (f" user={alert.actor_user_id}" if alert.actor_user_id else "")
            + (f" {details}" if details else ""))
