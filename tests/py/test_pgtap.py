"""Every pgTAP file under tests/sql/ (files starting with `_` are helpers they include), run by
pg_prove as the superuser against a database of their own (copied from the migrated template):
the Python tests commit rows to the session's database, and a pgTAP file may count a whole
table. One pytest test per file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

SQL_TESTS = Path(__file__).resolve().parents[1] / "sql"
TEST_FILES = sorted(
    p for p in SQL_TESTS.rglob("*.sql")
    if not any(part.startswith("_") for part in p.relative_to(SQL_TESTS).parts)
)


@pytest.fixture(scope="module")
def pgtap_dsn(pg_server, template_dsn, admin_dsn) -> str:
    # admin_dsn: the roles the session's logins are made in exist before any file runs.
    dsn = pg_server.create_database(template=psycopg.conninfo.conninfo_to_dict(template_dsn)["dbname"])
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            conn.execute("create extension if not exists pgtap")
        except psycopg.Error as exc:
            pytest.fail(f"pgTAP is not available on the server ({exc.diag.message_primary}); "
                        "install postgresql-15-pgtap there", pytrace=False)
    yield dsn
    pg_server.drop_database(dsn)


@pytest.fixture(scope="module")
def pg_prove() -> str:
    path = shutil.which("pg_prove")
    if path is None:
        pytest.fail("pg_prove not found: apt-get install libtap-parser-sourcehandler-pgtap-perl",
                    pytrace=False)
    return path


@pytest.mark.parametrize("sql_file", TEST_FILES, ids=lambda p: str(p.relative_to(SQL_TESTS)))
def test_pgtap(sql_file: Path, pgtap_dsn: str, pg_prove: str, pg_bin: Path | None) -> None:
    cmd = [pg_prove, "--verbose", "--dbname", pgtap_dsn]
    if pg_bin and (pg_bin / "psql").exists():
        cmd += ["--psql-bin", str(pg_bin / "psql")]
    # cwd: the file's directory, so `\ir` and `\i` in it resolve as when run by hand.
    result = subprocess.run(
        [*cmd, sql_file.name], cwd=sql_file.parent, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"pg_prove {sql_file.relative_to(SQL_TESTS)} exited {result.returncode}:\n"
                    f"{result.stdout}{result.stderr}", pytrace=False)
