"""The pgTAP suite's layout follows the SQL API: every public function (flowstate.flow_*) has
its folder tests/sql/<function>/ with at least one test file, so a new function cannot land
untested, and no flow_* folder outlives the function it tests (topic folders such as audit/
and schema/ are named otherwise)."""

from __future__ import annotations

from pathlib import Path

import psycopg

SQL_TESTS = Path(__file__).resolve().parents[1] / "sql"


def public_functions(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "select distinct proname from pg_proc"
            " where pronamespace = 'flowstate'::regnamespace and proname like 'flow\\_%'").fetchall()
    return {name for (name,) in rows}


def function_folders() -> set[str]:
    return {folder.name for folder in SQL_TESTS.iterdir()
            if folder.is_dir() and folder.name.startswith("flow_") and any(folder.glob("*.sql"))}


def test_every_public_function_has_a_pgtap_folder(admin_dsn):
    functions = public_functions(admin_dsn)
    assert functions, "no flowstate.flow_* function found: is the schema installed?"
    missing = sorted(functions - function_folders())
    assert missing == [], f"public functions without tests/sql/<function>/*.sql: {missing}"


def test_every_function_folder_names_a_public_function(admin_dsn):
    stale = sorted(function_folders() - public_functions(admin_dsn))
    assert stale == [], f"tests/sql folders named after no flowstate function: {stale}"
