"""Where ``CutoverFlowPersistence`` lived before the CrewAI adapter became a package: kept so
that ``from pgflowstate.legacy import CutoverFlowPersistence`` goes on working. New code:
``from pgflowstate.crewai import CutoverFlowPersistence``."""

from .crewai.cutover import FLAG, CutoverFlowPersistence, postgres_only_from_env, scratch_sqlite_persistence

__all__ = ["FLAG", "CutoverFlowPersistence", "postgres_only_from_env", "scratch_sqlite_persistence"]
