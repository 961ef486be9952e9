"""CrewAI SQLite flow-state databases for the migrator tests, without importing crewai.

``LegacyWriter`` writes what crewai 1.15.30's ``SQLiteFlowPersistence`` writes, the same way:
its schema verbatim, WAL mode, rows inserted by its SQL with ``datetime.now(timezone.utc)
.isoformat()`` and ``json.dumps(state, default=_json_default)`` (so NaN, Infinity, \\u0000 and
lone surrogates come out as CrewAI writes them). ``raw`` inserts anything, for databases
CrewAI would not write (broken JSON, BLOBs, bad UTF-8). test_migrator_crewai.py uses the real
crewai package.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

# crewai/flow/persistence/sqlite.py, SQLiteFlowPersistence._create_schema, verbatim.
SCHEMA = [
    """
            CREATE TABLE IF NOT EXISTS flow_states (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                flow_uuid TEXT NOT NULL,
                method_name TEXT NOT NULL,
                timestamp DATETIME NOT NULL,
                state_json TEXT NOT NULL
            )
            """,
    """
            CREATE INDEX IF NOT EXISTS idx_flow_states_uuid
            ON flow_states(flow_uuid)
            """,
    """
            CREATE TABLE IF NOT EXISTS pending_feedback (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                flow_uuid TEXT NOT NULL UNIQUE,
                context_json TEXT NOT NULL,
                state_json TEXT NOT NULL,
                created_at DATETIME NOT NULL
            )
            """,
    """
            CREATE INDEX IF NOT EXISTS idx_pending_feedback_uuid
            ON pending_feedback(flow_uuid)
            """,
]


def _json_default(obj: Any) -> Any:
    """CrewAI's fallback serializer (sets and tuples as lists, dates in ISO, else str)."""
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    return str(obj)


class LegacyWriter:
    """A CrewAI flow-state database at ``path``. Keep it open (``keep_wal=True``) to leave
    committed rows in the ``-wal`` file, as a running CrewAI process can."""

    def __init__(self, path: str | Path, keep_wal: bool = False) -> None:
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        if keep_wal:
            self.conn.execute("PRAGMA wal_autocheckpoint=0")
        with self.conn:
            for statement in SCHEMA:
                self.conn.execute(statement)

    def save_state(self, flow_uuid: str, method_name: str, state: dict, at: str | None = None) -> None:
        """SQLiteFlowPersistence._save_state_sql."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO flow_states (flow_uuid, method_name, timestamp, state_json) VALUES (?, ?, ?, ?)",
                (flow_uuid, method_name, at or datetime.now(timezone.utc).isoformat(),
                 json.dumps(state, default=_json_default)))

    def save_pending_feedback(self, flow_uuid: str, context: dict, state: dict) -> None:
        """SQLiteFlowPersistence.save_pending_feedback: the state row, then the pause."""
        self.save_state(flow_uuid, context["method_name"], state)
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO pending_feedback (flow_uuid, context_json, state_json, created_at)"
                " VALUES (?, ?, ?, ?)",
                (flow_uuid, json.dumps(context, default=_json_default), json.dumps(state, default=_json_default),
                 datetime.now(timezone.utc).isoformat()))

    def raw(self, flow_uuid: Any, method_name: Any, timestamp: Any, state_json: Any) -> None:
        """A row of any values (what CrewAI would not write)."""
        with self.conn:
            self.conn.execute(
                "INSERT INTO flow_states (flow_uuid, method_name, timestamp, state_json) VALUES (?, ?, ?, ?)",
                (flow_uuid, method_name, timestamp, state_json))

    def close(self) -> None:
        self.conn.close()


def rows_of(path: str | Path) -> list[tuple]:
    """(id, flow_uuid, method_name, timestamp, state_json) of every row, as bytes, id order."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.text_factory = bytes
    try:
        return conn.execute("select id, flow_uuid, method_name, timestamp, state_json from flow_states"
                            " order by id").fetchall()
    finally:
        conn.close()


# -- random legacy histories (property tests) ------------------------------------------------

AWKWARD = ["", " ", "é", "ü\u0301", "😀", "\u200f\u05e9\u05dc\u05d5\u05dd", "\x00", "\ud800", "\udfff",
           "\ud83d\ude00", "\\u0000", "NaN", "Infinity", '"', "\\", "\n\t", "\u2028", "<script>", "'; drop table x; --"]


def random_value(rnd: random.Random, depth: int = 3) -> Any:
    roll = rnd.random()
    if depth <= 0 or roll < 0.45:
        return rnd.choice([
            lambda: rnd.randint(-10**6, 10**6), lambda: rnd.random() * 1e6, lambda: 10**30 + rnd.randint(0, 9),
            lambda: float("nan"), lambda: float("inf"), lambda: float("-inf"), lambda: True, lambda: None,
            lambda: "".join(rnd.choice(AWKWARD) for _ in range(rnd.randint(0, 4))),
            lambda: "text " * rnd.randint(0, 20),
        ])()
    if roll < 0.7:
        return [random_value(rnd, depth - 1) for _ in range(rnd.randint(0, 4))]
    return {rnd.choice(AWKWARD + ["k", "state", "id"]) + str(rnd.randint(0, 3)): random_value(rnd, depth - 1)
            for _ in range(rnd.randint(0, 5))}


def random_history(rnd: random.Random, writer: LegacyWriter, flows: int) -> dict[str, int]:
    """``flows`` flows of 1-8 rows, written interleaved (as concurrent flows are), with random
    ids (UUIDs of any spelling and plain strings), methods and states. Returns rows per flow."""
    ids = []
    for i in range(flows):
        kind = rnd.random()
        if kind < 0.4:
            ids.append(str(rnd.getrandbits(128).to_bytes(16, "big").hex()[:8]) + "-0000-4000-8000-" + f"{i:012d}")
        elif kind < 0.5:
            ids.append(f"{rnd.getrandbits(32):08X}-0000-4000-8000-{i:012d}")  # upper case: not canonical
        else:
            ids.append(rnd.choice(["run-", "flow ", "é-", "😀", "x" * 200]) + str(i))
    left = {flow_id: rnd.randint(1, 8) for flow_id in ids}
    counts = dict(left)
    while left:
        flow_id = rnd.choice(sorted(left))
        state = {"id": flow_id, "payload": random_value(rnd)}
        if rnd.random() < 0.1:
            state = random_value(rnd)  # CrewAI saves dicts; an old or hand-made row may not be one
        method = rnd.choice(["start", "research", "write", "review", "failed", "completed", "é step"])
        writer.save_state(flow_id, method, state, at=rnd.choice([None, "2026-01-01T00:00:00+00:00"]))
        left[flow_id] -= 1
        if not left[flow_id]:
            del left[flow_id]
    return counts
