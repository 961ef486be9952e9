"""StateMigrator: move CrewAI's SQLite flow state into PostgreSQL and prove nothing was lost.

The rules are SQL: ``flowstate.flow_import_legacy`` imports one flow (one transaction;
``flow_import_legacy_batch`` runs it for many flows per call, each in a subtransaction of its
own, which is how the migrator sends them), keeps every legacy row's exact text, maps the latest row to the current state,
and records the flow in the migration ledger, which makes a re-run or a resumed run (after a
kill -9) skip what is done; ``flow_import_verify`` re-reads imported flows. This package only:

- opens the SQLite file without writing anything next to it: the file itself with
  ``immutable=1`` when no ``-wal``/``-journal`` side file exists (committed rows are all in
  the file then), else a private copy of the file and its side files (``mode=ro`` would still
  create side files, and ``immutable=1`` would miss the rows still in the WAL);
- streams rows in (flow_uuid, id) order, one flow at a time, with a bounded number of bytes in
  flight, so memory stays flat whatever the size of the source; a flow bigger than
  ``part_bytes`` goes in parts within one transaction;
- computes each flow's content hash from the source (``content_hash``, the same definition as
  ``flowstate._legacy_content_hash``) and compares it with what PostgreSQL recomputes from the
  stored text, at the end of every run and with ``verify()`` alone.

source.py reads the file and hashes its flows, pipeline.py imports and verifies them,
report.py is what a run found. Run it as ``pgflowstate migrate-sqlite`` or
``python -m pgflowstate.migrator``.
"""

from .pipeline import StateMigrator, import_legacy_flow
from .report import Failure, MigrationReport
from .source import Flow, Row, SourceError, SqliteSource, content_hash, default_path

__all__ = [
    "Failure",
    "Flow",
    "MigrationReport",
    "Row",
    "SourceError",
    "SqliteSource",
    "StateMigrator",
    "content_hash",
    "default_path",
    "import_legacy_flow",
]
