"""docs/reference.md is what the schema says: regenerated from a freshly upgraded database.

When a function or table changes, regenerate the file:
    PGFLOWSTATE_UPDATE_DOCS=1 pytest tests/py/test_docs.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg

from pgflowstate.docs import reference

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


async def generate(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return await reference(conn)
    finally:
        await conn.close()


async def test_reference_matches_a_fresh_database(fresh_database):
    text = await generate(fresh_database())
    if os.environ.get("PGFLOWSTATE_UPDATE_DOCS"):
        REFERENCE.write_text(text)
    assert REFERENCE.exists(), "docs/reference.md is missing: PGFLOWSTATE_UPDATE_DOCS=1 pytest tests/py/test_docs.py"
    assert REFERENCE.read_text() == text, (
        "docs/reference.md is out of date with the schema: PGFLOWSTATE_UPDATE_DOCS=1 pytest tests/py/test_docs.py")


async def test_reference_documents_every_public_function(fresh_database):
    dsn = fresh_database()
    text = await generate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        names = await conn.fetch(
            "select distinct proname from pg_proc where pronamespace = 'flowstate'::regnamespace"
            " and proname like 'flow\\_%' order by 1")
    finally:
        await conn.close()
    for row in names:
        assert f"### flowstate.{row['proname']}\n" in text
    assert "### flowstate.flows\n" in text and "| max_document_bytes | 33554432 |" in text


def test_docs_check_command_reports_drift(fresh_database, tmp_path):
    dsn = fresh_database()
    out = tmp_path / "reference.md"
    cli = [sys.executable, "-m", "pgflowstate", "docs", "--dsn", dsn, "-o", str(out)]
    assert subprocess.run(cli, capture_output=True, text=True).returncode == 0
    ok = subprocess.run([*cli, "--check"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    out.write_text(out.read_text() + "edited by hand\n")
    drift = subprocess.run([*cli, "--check"], capture_output=True, text=True)
    assert drift.returncode == 1
    assert "out of date" in drift.stderr and "Traceback" not in drift.stderr
