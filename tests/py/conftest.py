"""Session-wide PostgreSQL for the tests.

With $DATABASE_URL: that server (superuser connection). Without: a throwaway cluster started from
the local server binaries and removed at the end (works as root and as any other user).

The schema is migrated once into a template database; the test database and every
`fresh_database()` are copies of it (CREATE DATABASE ... TEMPLATE), which nothing else connects to.

Fixtures other test files rely on: admin_dsn, app_dsn, other_app_dsn, admin_role_dsn, pg_bin,
fresh_database, app_pool and store. The CrewAI backend's fixtures are in crewai_flows.py: they
need CrewAI, an optional extra that the rest of the suite must not import.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio
from flowdocs import new_context
from psycopg import sql

from pgflowstate import FlowStateStore, create_pool, schema, server
from pgflowstate.connection import url
from pgflowstate.server.cluster import LocalCluster, find_pg_bin, random_name

APP_ROLE, APP_GROUP = "pgflowstate_test_app", "flowstate_app"
OTHER_APP_ROLE = "pgflowstate_test_app2"
DBA_ROLE, DBA_GROUP = "pgflowstate_test_dba", "flowstate_admin"


class Server:
    """A superuser DSN to the maintenance database, and helpers to make databases there."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.created: list[str] = []

    def execute(self, query, params=None) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(query, params)

    def create_database(self, prefix: str = "pgflowstate_test_", template: str | None = None) -> str:
        """A new database (copied from `template`, else empty from template0); returns its DSN."""
        name = random_name(prefix)
        self.execute(sql.SQL("create database {} template {}").format(
            sql.Identifier(name), sql.Identifier(template or "template0")))
        self.created.append(name)
        return url(self.dsn, dbname=name)

    def drop_database(self, dsn: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
        self.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop_database(url(self.dsn, dbname=name))


@pytest.fixture(scope="session")
def pg_bin() -> Path | None:
    """The PostgreSQL bin directory (initdb, psql, ...); None if only DATABASE_URL is known."""
    try:
        return find_pg_bin()
    except RuntimeError:
        if os.environ.get("DATABASE_URL"):
            return None
        raise


@pytest.fixture(scope="session")
def pg_server(pg_bin):
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        server = Server(url(database_url))
        yield server
        server.drop_all()
        return
    with LocalCluster(pg_bin=pg_bin) as cluster:
        server = Server(cluster.dsn("postgres"))
        yield server
        server.drop_all()


@pytest.fixture(scope="session")
def template_dsn(pg_server) -> str:
    """The migrated template; no test connects to it, so it can always be copied."""
    dsn = pg_server.create_database("pgflowstate_tmpl_")
    schema.upgrade(dsn)
    return dsn


@pytest.fixture(scope="session")
def admin_dsn(pg_server, template_dsn) -> str:
    """Superuser DSN of the session's test database (migrated)."""
    return pg_server.create_database(template=dbname(template_dsn))


@pytest.fixture(scope="session")
def app_dsn(pg_server, admin_dsn) -> str:
    """A login role that is a member of flowstate_app (EXECUTE on the functions only)."""
    return login_role_dsn(pg_server, admin_dsn, APP_ROLE, APP_GROUP)


@pytest.fixture(scope="session")
def other_app_dsn(pg_server, admin_dsn) -> str:
    """A second login in flowstate_app: another application (or an agent's tool) on the same
    database, for what one login must not learn about another's tenants."""
    return login_role_dsn(pg_server, admin_dsn, OTHER_APP_ROLE, APP_GROUP)


@pytest.fixture(scope="session")
def admin_role_dsn(pg_server, admin_dsn) -> str:
    """A login role that is a member of flowstate_admin, not a superuser."""
    return login_role_dsn(pg_server, admin_dsn, DBA_ROLE, DBA_GROUP)


@pytest.fixture
def fresh_database(pg_server, template_dsn):
    """Factory: fresh_database() -> admin DSN of a new migrated database (empty store);
    fresh_database(migrated=False) -> a new empty database. Dropped after the test."""
    made = []

    def make(migrated: bool = True) -> str:
        dsn = pg_server.create_database(template=dbname(template_dsn) if migrated else None)
        made.append(dsn)
        return dsn

    yield make
    for dsn in made:
        pg_server.drop_database(dsn)


def dbname(dsn: str) -> str:
    return psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]


def login_role_dsn(server: Server, database_dsn: str, role: str, group: str) -> str:
    """Create (or reset) a LOGIN role in `group`. Roles are cluster-wide and may survive an
    earlier run, so a new random password is set each session."""
    password = secrets.token_urlsafe(18)
    server.execute(sql.SQL("""
        do $$ begin
          if not exists (select from pg_roles where rolname = {role_literal}) then
            create role {role} login nosuperuser;
          end if;
        end $$;
        alter role {role} with login nosuperuser nocreatedb nocreaterole password {password};
        grant {group} to {role};
    """).format(role_literal=sql.Literal(role), role=sql.Identifier(role),
                password=sql.Literal(password), group=sql.Identifier(group)))
    return url(database_dsn, user=role, password=password)


@pytest_asyncio.fixture(scope="module")
async def app_pool(app_dsn):
    """A create_pool() pool logged in as the application role (EXECUTE only)."""
    pool = await create_pool(app_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
def store(app_pool) -> FlowStateStore:
    """A store for a fresh tenant."""
    return FlowStateStore(app_pool, new_context())


@pytest.fixture
def local_home(monkeypatch):
    """PGFLOWSTATE_HOME in a new directory, no DATABASE_URL: the CLI's and the backend's local
    server, stopped and removed afterwards. Not pytest's tmp_path: as root the server runs as
    another user, who must be able to enter every parent directory (pytest's are private)."""
    base = Path(tempfile.mkdtemp(prefix="pgflowstate-home-"))
    base.chmod(0o755)
    monkeypatch.setenv("PGFLOWSTATE_HOME", str(base / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield base / "home"
    server.down()
    shutil.rmtree(base, ignore_errors=True)
