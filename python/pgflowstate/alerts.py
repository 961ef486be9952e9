"""Alerts from the database: LISTEN on ``flowstate_alerts``.

Recovery and corruption handling record an alert and NOTIFY that channel when their
transaction commits. Any role that can connect may LISTEN to (and NOTIFY) any channel, so the
notification carries only the event and an opaque alert id; the details (flow, tenant,
versions, actor, time) come from ``flowstate.flow_alert``, which gives them only to the flow's
tenant or an admin. A listener therefore names whose alerts it wants:

    async with listen_alerts(dsn, context=RequestContext(...)) as alerts:   # one tenant's
        async for alert in alerts:
            ...
    async with listen_alerts(dsn, context=None) as alerts:                  # all (admins)
        ...

Each alert costs the listener one round trip (flow_alert on the listening connection); other
tenants' alerts are skipped. NOTIFY is not durable: an alert sent while nobody listens is not
delivered (it stays in flowstate.alerts, and the audit trail, ``flow_history``, records the
event). A notification is a prompt to look, not proof: anyone may send one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Union

import asyncpg
import pydantic

from .models import Alert, RequestContext
from .store import FlowStateStore, decode_json

ALERT_CHANNEL = "flowstate_alerts"

_CLOSED = object()  # queued when the connection is lost
_DONE = object()  # queued when the listen_alerts block exits


class AlertStream:
    """The alerts received on one listening connection, in order, as :class:`Alert` with their
    details, for the listener's context (other tenants' alerts are skipped).

    Iterating waits for the next alert; it ends when the ``listen_alerts`` block exits, and
    raises ConnectionError if the connection is lost.
    """

    def __init__(self, connection: asyncpg.Connection, context: RequestContext | None) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._lost = False
        self._details = FlowStateStore(connection, context)  # flow_alert on this connection
        self._fetching = asyncio.Lock()  # one query at a time on the connection

    def __aiter__(self) -> "AlertStream":
        return self

    async def __anext__(self) -> Alert:
        while True:
            if self._lost:
                raise ConnectionError("the alert listener's connection was lost")
            item = await self._queue.get()
            if item is _DONE:
                self._queue.put_nowait(_DONE)  # for any other waiter, and for the next call
                raise StopAsyncIteration
            if item is _CLOSED:
                self._lost = True
                raise ConnectionError("the alert listener's connection was lost")
            alert = await self._with_details(parse_alert(item))
            if alert is not None:
                return alert

    async def get(self, timeout: float | None = None) -> Alert:
        """The next alert; asyncio.TimeoutError after ``timeout`` seconds without one."""
        return await asyncio.wait_for(self.__anext__(), timeout)

    async def _with_details(self, alert: Alert) -> Alert | None:
        """The alert with its details; None when they are not this context's to see. A
        notification without an alert id (not sent by flowstate) is passed on as it came."""
        if alert.alert_id is None:
            return alert
        async with self._fetching:
            try:
                details = await self._details.alert(alert.alert_id)
            except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError) as exc:
                self._lost = True
                raise ConnectionError("the alert listener's connection was lost") from exc
        if details is None:
            return None
        return details.model_copy(update={"payload": alert.payload})

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._queue.put_nowait(payload)

    def _on_close(self, _connection: Any) -> None:
        self._queue.put_nowait(_CLOSED)

    def _end(self) -> None:
        self._queue.put_nowait(_DONE)


def parse_alert(payload: str) -> Alert:
    """An :class:`Alert` from a notification's text ({"event", "alert_id"}, details not yet
    fetched). Text that is not a JSON object of the expected shape is kept as ``payload``
    (``event`` None) rather than raised or dropped."""
    try:
        data = decode_json(payload)
        if isinstance(data, dict):
            return Alert.model_validate({**data, "payload": payload})
    except (ValueError, RecursionError, pydantic.ValidationError):
        pass
    return Alert(payload=payload)


@asynccontextmanager
async def listen_alerts(
    source: Union[str, asyncpg.Pool, None] = None,
    *,
    context: RequestContext | None,
    channel: str = ALERT_CHANNEL,
    **connect_options: Any,
) -> AsyncIterator[AlertStream]:
    """LISTEN on ``channel`` for the duration of the block; yields an :class:`AlertStream`.

    ``context``: whose alerts to receive, with their details: a tenant's RequestContext (other
    tenants' alerts are skipped), or None for every tenant's, which only admins may ask for
    (StateValidationError at the first alert otherwise). A role bound to tenants
    (flowstate.role_tenants) sees the alerts of those only.
    ``source``: a DSN (or None for asyncpg's defaults), for which a dedicated connection is
    opened and closed at the end (``connect_options`` go to asyncpg.connect); or an asyncpg
    pool, from which one connection is borrowed for the whole block and given back after
    UNLISTEN (a pool from create_pool does not reset connections itself). Prefer a DSN: a
    borrowed connection is one the pool cannot use meanwhile.
    Alerts are delivered from the moment the block is entered.
    """
    pool = source if isinstance(source, asyncpg.Pool) else None
    if pool is not None:
        connection = await pool.acquire()
    else:
        connection = await asyncpg.connect(source, **connect_options)
    stream = AlertStream(connection, context)
    listening = True  # from the moment LISTEN may have been sent until UNLISTEN succeeded
    try:
        connection.add_termination_listener(stream._on_close)
        await connection.add_listener(channel, stream._on_notify)
        try:
            yield stream
        finally:
            stream._end()
            connection.remove_termination_listener(stream._on_close)
            # Sends UNLISTEN (unless the connection is gone), so a pooled connection goes
            # back to its pool listening to nothing.
            await connection.remove_listener(channel, stream._on_notify)
            listening = False
    finally:
        if pool is None:
            await connection.close()
        else:
            if listening and not connection.is_closed():
                connection.terminate()  # never hand back a connection that may still listen
            await pool.release(connection)
