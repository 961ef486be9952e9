"""Session-wide PostgreSQL for the tests.

With $DATABASE_URL: that server (superuser connection). Without: a throwaway cluster started from
the local server binaries and removed at the end (works as root and as any other user).

The schema is migrated once into a template database; the test database and every
`fresh_database()` are copies of it (CREATE DATABASE ... TEMPLATE), which nothing else connects to.

Fixtures other test files rely on: admin_dsn, app_dsn, other_app_dsn, admin_role_dsn, pg_bin,
fresh_database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgflowstate import db
from pgflowstate.testing import LocalCluster, find_pg_bin, random_name, url

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
    db.upgrade(dsn)
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
