"""``use_postgres()``: PostgreSQL as CrewAI's default flow persistence for the whole process.

CrewAI falls back to its SQLite file in two kinds of places: bare ``@persist()`` takes
``default_flow_persistence()`` once, when the class is decorated, and the runtime takes it at
each pause for human feedback (and in ``Flow.from_pending``) when the flow has no backend of
its own, which is the case for a method-level ``@persist(backend)``. CrewAI's
``set_flow_persistence_factory`` only reaches the second kind for classes decorated before it
is called. ``use_postgres`` sets the factory and also switches the classes already decorated
with bare ``@persist()`` over, so it works wherever it is called, as long as it runs before
the first flow is created.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from crewai.flow.flow import Flow
from crewai.flow.persistence.factory import set_flow_persistence_factory
from crewai.flow.persistence.sqlite import SQLiteFlowPersistence
from crewai_core.paths import db_storage_path

from .persistence import PostgresFlowPersistence

__all__ = ["use_postgres"]


def use_postgres(persistence: PostgresFlowPersistence | None = None, **options: Any) -> PostgresFlowPersistence:
    """Make ``persistence`` (default: ``PostgresFlowPersistence(**options)``, which with no
    options connects as the CLI does) CrewAI's default flow persistence for this process, and
    return it: bare ``@persist()``, pauses for human feedback and ``Flow.from_pending`` all
    use it. Call it once at start-up, before the first flow is created; flows created earlier
    keep the backend they were given."""
    backend = persistence if persistence is not None else PostgresFlowPersistence(**options)
    set_flow_persistence_factory(lambda: backend)  # one shared backend: one pool, one tenant
    for flow_class in _flow_classes(Flow):
        _switch_defaults(flow_class, backend)
    return backend


def _flow_classes(base: type) -> list[type]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_flow_classes(sub)]
    return found


def _switch_defaults(flow_class: type, backend: PostgresFlowPersistence) -> None:
    """Point the bare ``@persist()`` stamps on ``flow_class`` and its methods at ``backend``,
    and drop the class's cached definition, which holds the old backend."""
    switched = False
    for target in (flow_class, *vars(flow_class).values()):
        config = vars(target).get("__flow_persistence_config__") if hasattr(target, "__dict__") else None
        if config is not None and _is_crewai_default(config.persistence):
            config.persistence = backend
            switched = True
    if not switched:
        return
    # Subclasses inherit the stamp and may have cached a definition of their own.
    for cls in (flow_class, *_flow_classes(flow_class)):
        if "_flow_definition" in vars(cls):
            delattr(cls, "_flow_definition")


def _is_crewai_default(persistence: Any) -> bool:
    """What ``default_flow_persistence()`` gives without a factory: CrewAI's SQLite backend
    on its default file (one given a path of its own is the user's choice, and stays)."""
    if type(persistence) is not SQLiteFlowPersistence:
        return False
    # The directory exists already: CrewAI made it when it made this backend.
    return os.path.realpath(persistence.db_path) == os.path.realpath(Path(db_storage_path()) / "flow_states.db")
