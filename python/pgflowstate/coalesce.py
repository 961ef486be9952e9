"""Write coalescing: concurrent saves (and puts) of one store go to the server together.

A save made while fewer than ``parallel`` writes of its store are in flight (by default the
pool's size) is sent at once, alone, as it would be without coalescing: a lone caller waits for
nothing and pays for no batch. Saves made while the store is that busy (they would wait for a
connection anyway) queue, in call order, and go as the next batch: one flowstate.flow_save_states
statement, so one transaction and one commit for all of them. So do the saves made in the turn of
the event loop in which a batch answers its callers: they wake together, and writers that save
again at once would otherwise send the first of them alone and queue the others behind it. Large
states queued while several statements are free are spread over them (SPREAD_BYTES). Each
caller gets its own result, or its own exception exactly as the single call raises it, and only
after the batch's statement has returned, that is after the commit. Each item keeps its caller's
request id, so a batch sent again after a lost connection applies every item once. The batch
function writes the items a lone call would save on its fast path in one statement and saves
each other item in its own subtransaction: a refused item changes nothing and does not stop the
others.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from . import arguments
from .codec import encode_json
from .errors import StateError, sqlstate_errors

# flow_save_states may save each item in a subtransaction; past 64 in one transaction PostgreSQL's
# per-backend cache of subtransaction ids overflows and every session's snapshots get slower.
# A batch this size already spreads one commit over so many saves that a larger one gains little.
MAX_ITEMS = 50
# A batch runs on one backend, so it gives up the server's parallelism for what it saves per
# statement (round trip, commit, function entry), which is small next to the work on this many
# bytes of states: past them a batch is cut (100 KB states measured no faster batched).
MAX_BYTES = 512 * 1024
# Saves queued while several statements are free are spread over them, down to this many bytes
# of states a batch: small states gain from going together (one commit, one statement), large
# ones from the server's parallelism.
SPREAD_BYTES = 64 * 1024


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



def items_json(writes: list[Write]) -> str:
    """flow_save_states' p_items as JSON text, each state spliced in as the text already made for
    its caller (encoding every state again would double the client's JSON work)."""
    items = []
    for w in writes:
        head: dict[str, Any] = {"flow_id": str(w.flow_id), "request_id": str(w.request_id)}
        head.update({"put": True, "label": w.label} if w.put else {"expected_version": w.version})
        items.append(f'{encode_json(head)[:-1]},"state":{w.text}}}')
    return f"[{','.join(items)}]"


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


def coalesce_parallel(coalesce: bool | int, pool: Any) -> int:
    """How many statements a store may have in flight before saves queue (0: never coalesce).
    By default as many as the pool has connections: then a save queues only where it would
    otherwise wait for a connection, so coalescing never holds a caller back."""
    if isinstance(coalesce, bool):
        return (pool.get_max_size() if hasattr(pool, "get_max_size") else 1) if coalesce else 0
    if not isinstance(coalesce, int) or coalesce < 1:
        raise arguments.refuse(f"coalesce must be True, False or a number of statements of at least 1, not {coalesce!r}.")
    return coalesce


class Coalescer:
    """Sends one store's saves: each at once while fewer than ``parallel`` statements are in
    flight, else queued and sent together in the next batch.

    Batches in flight at the same time never share a flow, and a flow's queued saves go in call
    order, so every save meets its flow as the saves before it left it: the outcome of one-by-one
    calls in call order."""

    def __init__(self, alone: Callable[[Write], Awaitable[Any]],
                 together: Callable[[list[Write]], Awaitable[list[Mapping[str, Any]]]], parallel: int = 1) -> None:
        self._alone = alone
        self._together = together
        self._parallel = parallel
        self._queue: deque[Write] = deque()
        self._in_flight = 0
        self._flows: set[UUID] = set()  # the flows of the statements in flight
        self._senders: set[asyncio.Task] = set()  # held, so that a running batch is not collected
        self._gathering = False  # a batch has just answered its callers: their saves queue

    async def save(self, write: Write) -> Any:
        """The stored document of ``write`` (without state_data), or its StateError raised."""
        if (self._in_flight < self._parallel and not self._queue and not self._gathering
                and write.flow_id not in self._flows):
            self._start([write])
            try:
                return await self._alone(write)
            finally:
                self._finish([write])
        write.answer = asyncio.get_running_loop().create_future()
        self._queue.append(write)
        try:
            return await write.answer
        except asyncio.CancelledError:
            if write in self._queue:  # not sent yet: it never will be
                self._queue.remove(write)
            raise

    def _start(self, batch: list[Write]) -> None:
        self._in_flight += 1
        self._flows.update(w.flow_id for w in batch)

    def _finish(self, batch: list[Write]) -> None:
        self._in_flight -= 1
        self._flows.difference_update(w.flow_id for w in batch)
        if not self._gathering:
            self._dispatch()

    def _gather(self) -> None:
        """Queue the saves made in this turn of the loop, then send them together: the callers a
        batch has just answered wake in this turn (their wake-ups were scheduled before this
        call's), and each that saves again joins the next batch."""
        if not self._gathering:
            self._gathering = True
            asyncio.get_running_loop().call_soon(self._end_gathering)

    def _end_gathering(self) -> None:
        self._gathering = False
        self._dispatch()

    def _dispatch(self) -> None:
        """Send queued saves in batches while fewer than ``parallel`` statements are in flight,
        spread over the statements free when their states are large (SPREAD_BYTES)."""
        while self._in_flight < self._parallel and self._queue:
            queued = sum(len(w.text) for w in self._queue)
            next_batch = self._take(max(SPREAD_BYTES, queued // (self._parallel - self._in_flight)))
            if not next_batch:  # every queued save's flow is in flight: its batch's end sends them
                break
            self._start(next_batch)
            sender = asyncio.get_running_loop().create_task(self._send(next_batch))
            self._senders.add(sender)
            sender.add_done_callback(self._senders.discard)

    def _take(self, max_bytes: int) -> list[Write]:
        """The next batch: queued saves in call order, but none of a flow in flight (a flow's
        later saves then wait too, so its order holds), within MAX_ITEMS and ``max_bytes`` of
        states (at most MAX_BYTES)."""
        batch: list[Write] = []
        left: deque[Write] = deque()
        size = 0
        while self._queue:
            write = self._queue.popleft()
            full = len(batch) == MAX_ITEMS or (batch and size + len(write.text) > min(max_bytes, MAX_BYTES))
            if full or write.flow_id in self._flows:
                left.append(write)
                continue
            batch.append(write)
            size += len(write.text)
        self._queue = left
        return batch

    async def _send(self, batch: list[Write]) -> None:
        try:
            if len(batch) == 1:
                await self._send_alone(batch[0])
                return
            try:
                answers = await self._together(batch)
            except StateError:
                # The batch statement itself was refused: one state PostgreSQL cannot take as
                # JSON (a \u0000, say) fails the whole parameter. Each is sent alone, so that
                # each caller gets what its own call gets.
                for write in batch:
                    await self._send_alone(write)
                return
            except BaseException as exc:  # the whole call failed: every caller hears it
                for write in batch:
                    self._settle(write, error=exc)
                if not isinstance(exc, Exception):
                    raise
                return
            for write, answer in zip(batch, answers):
                if answer["ok"]:
                    self._settle(write, result=answer["document"])
                else:
                    self._settle(write, error=refusal(answer, write.flow_id))
        finally:
            self._gather()
            self._finish(batch)

    async def _send_alone(self, write: Write) -> None:
        try:
            self._settle(write, result=await self._alone(write))
        except Exception as exc:  # noqa: BLE001 - its caller raises it
            self._settle(write, error=exc)

    @staticmethod
    def _settle(write: Write, *, result: Any = None, error: BaseException | None = None) -> None:
        if write.answer is None or write.answer.done():  # its caller gave up waiting
            return
        if error is not None:
            write.answer.set_exception(error)
        else:
            write.answer.set_result(result)
