"""Write coalescing: concurrent saves (and puts) of one store go to the server together.

A save that finds no write of its store in flight is sent at once, alone, as it would be
without coalescing (a lone caller waits for nothing and pays for no batch). Saves made while a
write is in flight queue, in call order, and go as the next batch: one flowstate.flow_save_states
statement, so one transaction and one commit for all of them. Each caller gets its own result,
or its own exception exactly as the single call raises it, and only after the batch's statement
has returned, that is after the commit. Each item keeps its caller's request id, so a batch sent
again after a lost connection applies every item once. The batch function saves each item in
its own subtransaction: a refused item changes nothing and does not stop the others.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from .codec import encode_json
from .errors import StateError, sqlstate_errors

# flow_save_states takes at most max_batch_items (1,000 by default) items; a batch this size
# already spreads one commit over so many saves that a larger one gains nothing.
MAX_ITEMS = 100
# A batch is one JSON parameter; past this many bytes of states the next caller waits for the
# next batch, so that one batch never holds much more memory than a few large saves.
MAX_BYTES = 8 * 1024 * 1024


@dataclass(eq=False)
class Write:
    """One caller's save or put: what the single call would send, and where its answer goes."""

    flow_id: UUID
    text: str  # the state's JSON, as the single call sends it
    doc: Mapping[str, Any] | None  # None: text sent as is, never batched
    version: int | None
    request_id: UUID
    put: bool = False  # flow_put_state's: no version check, ``label`` recorded
    label: str | None = None
    answer: asyncio.Future | None = field(default=None, repr=False)

    def item(self) -> dict[str, Any]:
        """The flow_save_states item."""
        if self.put:
            return {"flow_id": str(self.flow_id), "state": self.doc, "put": True, "label": self.label,
                    "request_id": str(self.request_id)}
        return {"flow_id": str(self.flow_id), "state": self.doc, "expected_version": self.version,
                "request_id": str(self.request_id)}


def refusal(answer: Mapping[str, Any], flow_id: UUID) -> Exception:
    """The exception a refused item's single call raises: the batch reports {sqlstate, message,
    detail}; rebuilt as the asyncpg error it was and mapped by the one mapping (sqlstate_errors),
    so an FS00x keeps its class and detail and a lock timeout is FlowBusyError naming the flow."""
    detail = answer.get("detail")
    fields = {"C": answer.get("sqlstate") or "XX000", "M": answer.get("message") or "",
              "D": detail if isinstance(detail, str) or detail is None else encode_json(detail)}
    try:
        with sqlstate_errors(flow_id=flow_id):
            raise asyncpg.PostgresError.new({k: v for k, v in fields.items() if v is not None})
    except Exception as exc:  # noqa: BLE001 - returned, raised by its caller
        return exc


class Coalescer:
    """Sends one store's saves: alone when nothing is in flight, else together in the next batch."""

    def __init__(self, alone: Callable[[Write], Awaitable[Any]],
                 together: Callable[[list[Write]], Awaitable[list[Mapping[str, Any]]]]) -> None:
        self._alone = alone
        self._together = together
        self._queue: deque[Write] = deque()
        self._in_flight = False
        self._drainer: asyncio.Task | None = None

    async def save(self, write: Write) -> Any:
        """The stored document of ``write`` (without state_data), or its StateError raised."""
        if not self._in_flight:
            self._in_flight = True
            try:
                return await self._alone(write)
            finally:
                self._send_queued()
        write.answer = asyncio.get_running_loop().create_future()
        self._queue.append(write)
        try:
            return await write.answer
        except asyncio.CancelledError:
            if write in self._queue:  # not sent yet: it never will be
                self._queue.remove(write)
            raise

    def _send_queued(self) -> None:
        if self._queue:
            self._drainer = asyncio.get_running_loop().create_task(self._drain())
        else:
            self._in_flight = False

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._take()
                try:
                    if len(batch) == 1:
                        await self._send_alone(batch[0])
                        continue
                    answers = await self._together(batch)
                except StateError:
                    # The batch statement itself was refused: one state PostgreSQL cannot take
                    # as JSON (a \u0000, say) fails the whole parameter. Each is sent alone,
                    # so that each caller gets what its own call gets.
                    for write in batch:
                        await self._send_alone(write)
                    continue
                except BaseException as exc:  # the whole call failed: every caller hears it
                    for write in batch:
                        self._settle(write, error=exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for write, answer in zip(batch, answers):
                    if answer["ok"]:
                        self._settle(write, result=answer["document"])
                    else:
                        self._settle(write, error=refusal(answer, write.flow_id))
        finally:
            self._in_flight = False
            self._drainer = None
            for write in self._queue:  # only if cancelled itself (the loop is closing)
                self._settle(write, error=asyncio.CancelledError())
            self._queue.clear()

    async def _send_alone(self, write: Write) -> None:
        try:
            self._settle(write, result=await self._alone(write))
        except Exception as exc:  # noqa: BLE001 - its caller raises it
            self._settle(write, error=exc)

    def _take(self) -> list[Write]:
        batch, size = [self._queue.popleft()], 0
        size = len(batch[0].text)
        while self._queue and len(batch) < MAX_ITEMS and size + len(self._queue[0].text) <= MAX_BYTES:
            size += len(self._queue[0].text)
            batch.append(self._queue.popleft())
        return batch

    @staticmethod
    def _settle(write: Write, *, result: Any = None, error: BaseException | None = None) -> None:
        if write.answer is None or write.answer.done():  # its caller gave up waiting
            return
        if error is not None:
            write.answer.set_exception(error)
        else:
            write.answer.set_result(result)
