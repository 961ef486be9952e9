"""The CrewAI adapter (``pip install pgflowstate[crewai]``).

- persistence.py: ``PostgresFlowPersistence``, CrewAI's ``FlowPersistence`` on PostgreSQL:
  ``@persist(PostgresFlowPersistence(...))``.
- default.py: ``use_postgres()``, PostgreSQL as CrewAI's default flow persistence for the
  process (bare ``@persist()``, pauses for human feedback, ``Flow.from_pending``).
- cutover.py: ``CutoverFlowPersistence``, for moving a live system off CrewAI's SQLite
  persistence (mirror, compare, import flow by flow, then PostgreSQL only).
"""

# persistence first: without CrewAI it raises the ImportError that says what to install.
from .persistence import PostgresFlowPersistence  # isort: skip
from .cutover import FLAG, CutoverFlowPersistence, postgres_only_from_env  # isort: skip
from .default import use_postgres  # isort: skip

__all__ = ["FLAG", "CutoverFlowPersistence", "PostgresFlowPersistence", "postgres_only_from_env", "use_postgres"]
