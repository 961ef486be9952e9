"""FlowStateManager and FlowStateValidator: conveniences over FlowStateStore.

No rules here: validation and phase rules are the database's, so a "validated save" is a plain
save that lets FS001/FS003 surface.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from typing import Any, Awaitable, Callable, Union

import asyncpg

from . import arguments
from .errors import ConcurrentModificationError, FlowNotFoundError
from .models import FlowState
from .store import FlowId, FlowStateStore, State

StateData = dict[str, Any]
Mutate = Callable[[StateData], Union[StateData, None, Awaitable[Union[StateData, None]]]]


class FlowStateManager:
    """Saves, transitions and read-modify-write updates for one request context."""

    def __init__(self, store: FlowStateStore) -> None:
        self.store = store

    async def save(
        self, flow_id: FlowId, state: State, version: int | None = None, phase: str | None = None
    ) -> FlowState:
        """Validated save (the database validates; StateValidationError lists every error)."""
        return await self.store.save_state(flow_id, state, phase=phase, version=version)

    async def transition_phase(
        self, flow_id: FlowId, new_phase: str, version: int | None = None
    ) -> FlowState:
        return await self.store.transition_phase(flow_id, new_phase, version=version)

    async def update_with_retry(
        self, flow_id: FlowId, mutate: Mutate, retries: int = 50, backoff: float = 0.001
    ) -> FlowState:
        """Load, apply ``mutate`` to state_data, save with the loaded version; on a concurrent
        change, reload and try again (up to ``retries`` more times, with jittered backoff).

        ``mutate`` gets the loaded state_data and returns the new one, or None after changing
        it in place (it may be async). It can run more than once, so it must not have other
        side effects. Returns the stored document. A save whose reply is lost is sent again by
        the store with its request id, so a lost connection never applies the change twice.
        """
        if not callable(mutate):
            raise arguments.refuse(f"mutate must be a function of the state_data, not {type(mutate).__name__}.")
        retries = arguments.integer(retries, "retries", optional=False, bounds=(0, 10_000))
        if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or not 0 <= backoff <= 60:
            raise arguments.refuse(f"backoff must be a number of seconds from 0 to 60, not {backoff!r:.40}.")
        for attempt in range(retries + 1):
            current = await self.store.load_state(flow_id)
            if current is None:
                raise FlowNotFoundError(f"flow {flow_id} not found", detail={"flow_id": str(flow_id)})
            doc = current.document()
            state_data = doc.get("state_data") or {}
            changed = mutate(state_data)
            if inspect.isawaitable(changed):
                changed = await changed
            doc["state_data"] = state_data if changed is None else changed
            try:
                return await self.store.save_state(flow_id, doc, version=current.flow_version)
            except ConcurrentModificationError:
                if attempt == retries:
                    raise
                # Jitter spreads the losers out so the next round is not the same pile-up.
                await asyncio.sleep(random.uniform(0, backoff * 2 ** min(attempt, 6)))
        raise AssertionError("unreachable")


class FlowStateValidator:
    """Validation by the database's own rules, for documents not (yet) stored."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._store = FlowStateStore(pool, None)

    async def validate(self, state: State) -> list[str]:
        """Every problem as a readable sentence; empty means valid."""
        return await self._store.validate_state(state)

    async def is_valid_transition(self, state: State, new_phase: str) -> bool:
        return await self._store.validate_phase_transition(state, new_phase)
