"""A read cache that can never serve a stale version.

Every load still asks the database, in one round trip, but with the version it holds
(flowstate.flow_load_state_parts' p_known_version, the probe of flow_load_state_if_changed):
when nothing changed the answer is a few bytes and the cached document is returned; otherwise
the new document comes back and replaces it. So a read never returns a version older than
the database's at the time of the read, whoever wrote it, and the saving is the transfer of
large states and the server's work to send them. That is also why it is off by default: for
small states a plain load costs the same as the probe.

Documents are kept as JSON text (the document and its state_data, the two parts
flow_load_state_parts answers with) and decoded on every hit: decoding is the cheapest copy a
caller may change freely (a deep copy of a 100 KB state costs about four times as much), and
what a hit returns is what the database stores, as a plain load returns it.
"""

from __future__ import annotations

from collections import OrderedDict
from uuid import UUID

from . import arguments
from .codec import document_json, object_json
from .models import FlowState
from .store import FlowId, FlowStateStore, State, document_from_parts

# As text, whatever the pool's jsonb codec: the text is what the cache keeps. The probe of
# flow_load_state_if_changed, in the two parts a plain load reads (see FlowStateStore.load_state).
_LOAD_IF_CHANGED = (
    "select document::text as document, state_data::text as state_data from flowstate.flow_load_state_parts("
    "p_flow_id => $1, p_context => $2, p_known_version => $3)"
)


class CachedFlowStateStore(FlowStateStore):
    """FlowStateStore whose load_state serves unchanged documents from memory.

    The cache learns from this store's own saves (the stored document, with the caller's
    state_data as it is stored) and from every load; other processes' writes are seen by the
    version probe. ``max_entries`` bounds memory (least recently used first out).
    """

    def __init__(self, pool, context, max_entries: int = 1000, **store_options) -> None:
        super().__init__(pool, context, **store_options)
        self.max_entries = max_entries
        # id -> (version, JSON of the document without state_data, JSON of its state_data)
        self._documents: OrderedDict[UUID, tuple[int, str, str]] = OrderedDict()
        self.hits = self.misses = 0

    def _remember(self, document: FlowState, parts: tuple[str, str] | None = None) -> None:
        if document.state_data is None:  # a transition's answer: state_data not sent
            self._documents.pop(document.flow_id, None)
            return
        if parts is None:  # a save's answer: state_data written as the save wrote it
            parts = (document_json(document.model_dump(exclude={"state_data"})), object_json(document.state_data))
        self._documents[document.flow_id] = (document.flow_version, *parts)
        self._documents.move_to_end(document.flow_id)
        while len(self._documents) > self.max_entries:
            self._documents.popitem(last=False)

    async def load_state(self, flow_id: FlowId) -> FlowState | None:
        key = arguments.uuid(flow_id, "flow_id")
        version, *parts = self._documents.get(key, (None, None, None))
        answer = await self._read("fetchrow", _LOAD_IF_CHANGED, key, self._context, version, flow_id=key)
        if answer is None:
            self._documents.pop(key, None)
            return None
        if answer["state_data"] is None:  # the probe's {"flow_version", "unchanged"}: a stored state_data is never NULL
            self.hits += 1
            self._documents.move_to_end(key)
            return document_from_parts({"document": parts[0], "state_data": parts[1]})
        self.misses += 1
        document = document_from_parts(answer)
        self._remember(document, (answer["document"], answer["state_data"]))
        return document

    async def save_state(self, flow_id: FlowId, state: State, phase: str | None = None,
                         version: int | None = None) -> FlowState:
        document = await super().save_state(flow_id, state, phase, version)
        self._remember(document)
        return document

    async def put_state(self, flow_id: FlowId, state: State, label: str | None = None) -> FlowState:
        document = await super().put_state(flow_id, state, label)
        self._remember(document)
        return document

    async def transition_phase(self, flow_id: FlowId, new_phase: str, version: int | None = None) -> FlowState:
        document = await super().transition_phase(flow_id, new_phase, version)
        self._remember(document)  # drops the entry: the answer has no state_data
        return document
