"""Schema management: `db upgrade` and `db status`.

An upgrade has two steps:
1. yoyo applies the versioned DDL in db/migrations (each migration in its own transaction).
2. Every db/functions file is re-applied, in the load order of function_file_paths, in ONE
   transaction, when any file was added, removed or changed since the last upgrade (sha256
   recorded in flowstate.function_files), or when step 1 applied a migration. Otherwise nothing
   is executed, so a second upgrade changes nothing at all.

Concurrent upgrades are safe: the whole upgrade runs under a session-level advisory lock (a
crashed upgrader releases it with its connection, unlike yoyo's lock row), and the function step
also takes the transaction-level lock itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict

from .connection import CONNECT_TIMEOUT, DatabaseError, SetupError, describe, one_line, psycopg_connection

# Arbitrary constant shared by every pgflowstate upgrader ("pgflowst" in ASCII).
UPGRADE_LOCK_KEY = 0x7067_666C_6F77_7374

# Yoyo keeps its bookkeeping in the current schema (public by default).
YOYO_MIGRATION_TABLE = "_yoyo_migration"


class UpgradeError(DatabaseError):
    """A migration or function file failed; its transaction was rolled back."""


class SchemaMissingError(SetupError):
    """The database has no flowstate schema, or an older one than this package needs."""

    def __init__(self, dsn: str | None) -> None:
        super().__init__(f"the flowstate schema is missing or out of date in {describe(dsn)};"
                         " run `pgflowstate db upgrade` (with DATABASE_URL set to this database)")


def find_db_dir() -> Path:
    """The db/ directory: inside the installed wheel, else the source checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "db", here.parent.parent / "db"):
        if (candidate / "migrations").is_dir():
            return candidate
    raise DatabaseError(f"no db/migrations directory next to {here}")


def yoyo_url(dsn: str) -> str:
    """A yoyo URL for any libpq DSN (URL or key=value): every parameter goes in the query
    string, which yoyo passes to psycopg.connect unchanged (no host/dbname quoting issues)."""
    params = conninfo_to_dict(dsn)
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
    return "postgresql+psycopg:///?" + urlencode(params)


# ---------------------------------------------------------------------------------------------
# Reading the db directory


@dataclass(frozen=True)
class FunctionFile:
    name: str
    sql: str
    sha256: str


# db/functions/ layout and load order. internal/ holds the private helpers (flowstate._*),
# loaded first in this order: each file may use what the files above it define (SQL-language
# bodies and table triggers are checked when created). api/ holds the public flow_* functions,
# one function (or small family) per file, loaded next in name order: any api/*.sql loads with
# no entry here. grants.sql comes last, once every function exists.
INTERNAL_FILES = (
    "00_context.sql",
    "05_settings.sql",
    "06_uuid_v5.sql",
    "07_compression.sql",
    "10_phase_rules.sql",
    "15_validation_errors.sql",
    "20_document.sql",
    "25_request_ids.sql",
    "30_write_state.sql",
    "40_audit.sql",
    "42_audit_events.sql",
    "43_append_only.sql",
    "45_history.sql",
    "50_recovery.sql",
    "55_legacy_import.sql",
    "60_lifecycle.sql",
    "65_tallies.sql",
)
GRANTS_FILE = "grants.sql"


def function_file_paths(db_dir: Path) -> list[Path]:
    """Every db/functions file in load order; a file outside that order is an error, so a new
    helper cannot load in an accidental place."""
    root = db_dir / "functions"
    internal = [root / "internal" / name for name in INTERNAL_FILES]
    api = sorted((root / "api").glob("*.sql"))
    ordered = [*internal, *api, root / GRANTS_FILE]
    missing = [str(p.relative_to(root)) for p in ordered if not p.is_file()]
    unlisted = sorted(str(p.relative_to(root)) for p in set(root.rglob("*.sql")) - set(ordered))
    if missing or unlisted:
        raise DatabaseError(
            f"db/functions does not match the load order in {__name__}.INTERNAL_FILES: "
            + "; ".join([*(f"{name} is listed but missing" for name in missing),
                         *(f"{name} is not in the load order (a private helper goes in "
                           "internal/ and in INTERNAL_FILES, a public function in api/)"
                           for name in unlisted)]))
    return ordered


def read_function_files(db_dir: Path) -> list[FunctionFile]:
    """The function files in load order, named by their path below db/functions (the key of
    flowstate.function_files)."""
    files = []
    for path in function_file_paths(db_dir):
        data = path.read_bytes()
        name = path.relative_to(db_dir / "functions").as_posix()
        files.append(FunctionFile(name, data.decode("utf-8"), hashlib.sha256(data).hexdigest()))
    return files


def read_migrations(db_dir: Path):
    # Here, not at the top: yoyo and sqlparse add 40 ms to the 480 ms any CLI command takes to
    # start (python -X importtime), and only upgrade and status need them.
    import yoyo

    return yoyo.read_migrations(str(db_dir / "migrations"))


# ---------------------------------------------------------------------------------------------
# What the database has


def applied_migration_ids(conn: psycopg.Connection) -> set[str]:
    if conn.execute("select to_regclass(%s)", [YOYO_MIGRATION_TABLE]).fetchone()[0] is None:
        return set()
    return {row[0] for row in conn.execute(f"select migration_id from {YOYO_MIGRATION_TABLE}")}


def recorded_function_files(conn: psycopg.Connection) -> dict[str, str]:
    if conn.execute("select to_regclass('flowstate.function_files')").fetchone()[0] is None:
        return {}
    return dict(conn.execute("select file_name, sha256 from flowstate.function_files").fetchall())


def pending_migration_ids(conn: psycopg.Connection, migrations) -> list[str]:
    applied = applied_migration_ids(conn)
    return [m.id for m in migrations if m.id not in applied]


# ---------------------------------------------------------------------------------------------
# upgrade


def upgrade(dsn: str, db_dir: Path | None = None, force_functions: bool = False) -> dict:
    """Apply pending migrations, then the function files if anything changed. Idempotent.

    Returns {"database", "migrations_applied": [ids], "functions": "applied" | "up to date",
    "function_files_applied": [names], "function_files": count}.
    """
    db_dir = Path(db_dir) if db_dir else find_db_dir()
    migrations = read_migrations(db_dir)
    files = read_function_files(db_dir)
    with psycopg_connection(dsn, autocommit=True) as conn:
        # Held for the whole upgrade; released when the connection closes, even on a crash.
        conn.execute("select pg_advisory_lock(%s)", [UPGRADE_LOCK_KEY])
        applied = apply_migrations(dsn, conn, migrations)
        reapply = force_functions or bool(applied)
        applied_files = apply_function_files(conn, files, force=reapply)
    return {
        "database": describe(dsn),
        "migrations_applied": applied,
        "functions": "applied" if applied_files else "up to date",
        "function_files_applied": applied_files,
        "function_files": len(files),
    }


def apply_migrations(dsn: str, conn: psycopg.Connection, migrations) -> list[str]:
    """Yoyo apply of what is pending; yoyo is not even opened when nothing is, so a no-op
    upgrade writes nothing (yoyo creates and drops probe tables on connect)."""
    pending = pending_migration_ids(conn, migrations)
    if not pending:
        return []
    import sqlparse.exceptions  # lazily, as in read_migrations
    import yoyo
    import yoyo.exceptions

    yoyo_errors = (
        psycopg.Error,
        yoyo.exceptions.BadMigration,  # e.g. an unknown "-- depends:" id
        yoyo.exceptions.MigrationConflict,
        sqlparse.exceptions.SQLParseError,  # yoyo splits .sql migrations with sqlparse
    )
    try:
        # yoyo prints the rows of any SELECT in a migration to stdout: keep --json output clean.
        with contextlib.redirect_stdout(io.StringIO()):
            with yoyo.get_backend(yoyo_url(dsn)) as backend:
                with backend.lock(timeout=60):
                    backend.apply_migrations(backend.to_apply(migrations))
    except yoyo.exceptions.LockTimeout as exc:
        # We hold the advisory lock, so the row is left by a killed upgrade or a yoyo CLI.
        raise UpgradeError(f"{exc}; if no yoyo command is running, `delete from yoyo_lock` "
                           "clears a lock left by an interrupted upgrade") from exc
    except yoyo_errors as exc:
        failed = pending_migration_ids(conn, migrations)
        where = f"migration {failed[0]}" if failed else "migrations"
        raise UpgradeError(f"{where}: {sql_error(exc)}") from exc
    now_applied = applied_migration_ids(conn)
    return [m for m in pending if m in now_applied]


def apply_function_files(conn: psycopg.Connection, files: list[FunctionFile], force: bool) -> list[str]:
    """Re-apply every function file in one transaction unless all are recorded unchanged.
    Returns the names applied ([] when up to date)."""
    wanted = {f.name: f.sha256 for f in files}
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [UPGRADE_LOCK_KEY])
        if not force and recorded_function_files(conn) == wanted:
            return []
        for f in files:
            try:
                # No parameters: psycopg uses the simple query protocol, which runs the
                # file's several statements (and dollar-quoted bodies) as sent.
                conn.execute(f.sql)
            except psycopg.Error as exc:
                raise UpgradeError(f"db/functions/{f.name}: {sql_error(exc, f.sql)}") from exc
        conn.execute("delete from flowstate.function_files")
        with conn.cursor() as cur:
            cur.executemany(
                "insert into flowstate.function_files (file_name, sha256) values (%s, %s)",
                list(wanted.items()),
            )
    return list(wanted)


def sql_error(exc: psycopg.Error, sql: str | None = None) -> str:
    """The server's message on one line, with the line number in the file when known."""
    diag = getattr(exc, "diag", None)
    message = (diag and diag.message_primary) or one_line(exc)
    position = diag and diag.statement_position
    if sql and position and position.isdigit():
        message = f"line {sql[: int(position)].count(chr(10)) + 1}: {message}"
    if diag and diag.sqlstate:
        message += f" (SQLSTATE {diag.sqlstate})"
    if diag and diag.context:
        message += f" [{' '.join(diag.context.split())}]"
    return message


# ---------------------------------------------------------------------------------------------
# ready


# Every function the wrapper, the CrewAI backend and the migrator need, at its current
# signature: all present means the schema is installed and recent enough. A catalog lookup any
# role may make: `status` reads tables that the application role cannot.
SCHEMA_READY = (
    "select to_regprocedure('flowstate.flow_save_state(uuid, jsonb, bigint, jsonb, uuid)') is not null"
    " and to_regprocedure('flowstate.flow_record_step(uuid, text, jsonb, text, jsonb, bigint,"
    " text, text, jsonb, uuid, jsonb)') is not null"
    " and to_regprocedure('flowstate.flow_import_legacy(text, bigint[], text[], text[], text[],"
    " jsonb, jsonb, jsonb, boolean, jsonb)') is not null"
)


async def schema_ready(connection) -> bool:
    """Whether the flowstate schema this package needs is installed (``connection``: an
    asyncpg connection or pool)."""
    return bool(await connection.fetchval(SCHEMA_READY))


# ---------------------------------------------------------------------------------------------
# status


def status(dsn: str, db_dir: Path | None = None) -> dict:
    """Read-only report of what an upgrade would do.

    Returns {"database", "migrations": {"applied", "pending"}, "function_files": {"current",
    "changed", "missing", "removed"}, "up_to_date": bool}. "missing" = file never applied,
    "removed" = recorded but no longer in db/functions.
    """
    db_dir = Path(db_dir) if db_dir else find_db_dir()
    migrations = read_migrations(db_dir)
    files = read_function_files(db_dir)
    with psycopg_connection(dsn, autocommit=True) as conn:
        applied = applied_migration_ids(conn)
        recorded = recorded_function_files(conn)
    names = {f.name for f in files}
    migration_status = {
        "applied": [m.id for m in migrations if m.id in applied],
        "pending": [m.id for m in migrations if m.id not in applied],
    }
    file_status = {
        "current": [f.name for f in files if recorded.get(f.name) == f.sha256],
        "changed": [f.name for f in files if f.name in recorded and recorded[f.name] != f.sha256],
        "missing": [f.name for f in files if f.name not in recorded],
        "removed": sorted(set(recorded) - names),
    }
    up_to_date = not migration_status["pending"] and not any(
        file_status[k] for k in ("changed", "missing", "removed")
    )
    return {
        "database": describe(dsn),
        "migrations": migration_status,
        "function_files": file_status,
        "up_to_date": up_to_date,
    }
