"""The CrewAI backend with no ceremony: no arguments, clear setup errors, a hidden password,
and PostgreSQL as CrewAI's default (no SQLite file anywhere)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from crewai_flows import build_flows, crewai_dsn  # noqa: F401 (crewai_dsn: a fixture)

from pgflowstate import server
from pgflowstate.connection import ConnectionFailed, DatabaseError, SetupError, url
from pgflowstate.crewai import PostgresFlowPersistence
from pgflowstate.schema import SchemaMissingError
from pgflowstate.server import LOCAL_TENANT, TENANT_VARIABLES
from pgflowstate.server.cluster import free_port

HERE = Path(__file__).parent


@pytest.fixture
def tenant_env(monkeypatch) -> dict[str, str]:
    """A fresh tenant in $PGFLOWSTATE_*."""
    ids = {field: str(uuid.uuid4()) for field in TENANT_VARIABLES}
    for field, variable in TENANT_VARIABLES.items():
        monkeypatch.setenv(variable, ids[field])
    return ids


@pytest.fixture
def no_tenant_env(monkeypatch) -> None:
    for variable in TENANT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)


def test_no_arguments_takes_database_url_and_the_tenant_variables(crewai_dsn, tenant_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", crewai_dsn)
    backend = PostgresFlowPersistence()
    explicit = PostgresFlowPersistence(dsn=crewai_dsn, **tenant_env)
    try:
        assert {f: getattr(backend, f) for f in TENANT_VARIABLES} == tenant_env
        backend.save_state("run-1", "begin", {"id": "run-1", "n": 1})
        assert explicit.load_state("run-1") == {"id": "run-1", "n": 1}, "the same tenant, the same flow"
    finally:
        backend.close()
        explicit.close()


def test_a_real_server_without_a_tenant_is_one_error_naming_the_variables(crewai_dsn, no_tenant_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", crewai_dsn)
    for given in ({}, {"dsn": crewai_dsn}):
        with pytest.raises(SetupError) as refused:
            PostgresFlowPersistence(**given)
        assert all(variable in str(refused.value) for variable in TENANT_VARIABLES.values())


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_a_tenant_id_that_is_not_a_uuid_says_a_uuid_is_expected(crewai_dsn, tenant_env, monkeypatch, where):
    if where == "argument":
        with pytest.raises(SetupError, match=r"engagement_id must be a UUID such as .*, not 'acme'"):
            PostgresFlowPersistence(dsn=crewai_dsn, **{**tenant_env, "engagement_id": "acme"})
    else:
        monkeypatch.setenv("PGFLOWSTATE_ENGAGEMENT_ID", "acme")
        with pytest.raises(SetupError, match=r"PGFLOWSTATE_ENGAGEMENT_ID must be a UUID such as .*, not 'acme'"):
            PostgresFlowPersistence(dsn=crewai_dsn)


def test_only_some_tenant_variables_is_an_error(crewai_dsn, tenant_env, monkeypatch):
    monkeypatch.delenv("PGFLOWSTATE_USER_ID")
    with pytest.raises(SetupError, match="PGFLOWSTATE_USER_ID not set"):
        PostgresFlowPersistence(dsn=crewai_dsn)


def test_the_cli_acts_as_the_tenant_in_the_variables(crewai_dsn, tenant_env):
    backend = PostgresFlowPersistence(dsn=crewai_dsn)
    try:
        backend.save_state("cli-visible", "begin", {"id": "cli-visible"})
        flow_id = str(backend.flow_id("cli-visible"))
    finally:
        backend.close()
    env = {**os.environ, **{v: tenant_env[f] for f, v in TENANT_VARIABLES.items()}}
    shown = subprocess.run([sys.executable, "-m", "pgflowstate", "show", flow_id, "--dsn", crewai_dsn, "--json"],
                           capture_output=True, text=True, env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["state_data"] == {"id": "cli-visible"}
    env["PGFLOWSTATE_USER_ID"] = "acme"
    refused = subprocess.run([sys.executable, "-m", "pgflowstate", "show", flow_id, "--dsn", crewai_dsn],
                             capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and "PGFLOWSTATE_USER_ID must be a UUID" in refused.stderr


def test_no_arguments_and_no_database_url_is_the_local_server_as_the_local_tenant(local_home, no_tenant_env):
    backend = PostgresFlowPersistence()
    try:
        assert backend.dsn is None and backend.user_id == str(LOCAL_TENANT.user_id)
        flows = build_flows(backend)
        flow = flows.PipelineFlow()
        flow.kickoff(inputs={"size": 3})
        assert backend.load_state(flow.state.id)["route"] == "small"
        assert server.status()["running"], "started on first use, as the CLI starts it"
    finally:
        backend.close()


def test_the_local_tenant_never_reaches_a_server_named_later(local_home, no_tenant_env, crewai_dsn, monkeypatch):
    backend = PostgresFlowPersistence()  # no DATABASE_URL yet: the local server's tenant
    monkeypatch.setenv("DATABASE_URL", crewai_dsn)  # set before the first call, e.g. by a .env loader
    try:
        with pytest.raises(SetupError, match="PGFLOWSTATE_CLIENT_ACCOUNT_ID"):
            backend.save_state("run-1", "begin", {"id": "run-1"})
    finally:
        backend.close()
    assert not server.status()["running"], "nothing was started either"


def test_a_database_without_the_schema_says_run_db_upgrade(fresh_database, tenant_env):
    dsn = fresh_database(migrated=False)
    backend = PostgresFlowPersistence(dsn=dsn)
    try:
        with pytest.raises(SchemaMissingError, match="run `pgflowstate db upgrade`"):
            backend.save_state("run-1", "begin", {"id": "run-1"})
        flow = build_flows(backend).PipelineFlow()
        with pytest.raises(RuntimeError, match="run `pgflowstate db upgrade`") as failed:
            flow.kickoff(inputs={"size": 1})  # CrewAI wraps a backend's error in its own
        assert isinstance(failed.value.__cause__, SchemaMissingError)
        with psycopg.connect(dsn) as conn:
            assert conn.execute("select count(*) from pg_namespace where nspname = 'flowstate'").fetchone()[0] == 0
    finally:
        backend.close()


def test_a_server_that_is_down_is_named_with_database_url(tenant_env, monkeypatch):
    port = free_port()  # nothing listens there
    down = f"postgresql://app:s3cret@127.0.0.1:{port}/appdb"
    monkeypatch.setenv("DATABASE_URL", down)
    backend = PostgresFlowPersistence(retries=0)
    try:
        with pytest.raises(ConnectionFailed) as failed:
            backend.load_state("run-1")
    finally:
        backend.close()
    message = str(failed.value)
    assert f"127.0.0.1:{port}/appdb" in message
    assert "$DATABASE_URL" in message and "s3cret" not in message


def test_other_server_errors_reach_a_flow_as_database_errors(pg_server, admin_dsn, tenant_env):
    # A login that may connect but was never granted the flowstate functions.
    role = f"stranger_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f"create role {role} login password 'pw'")
    backend = PostgresFlowPersistence(dsn=url(admin_dsn, user=role, password="pw"))
    try:
        with pytest.raises(DatabaseError, match=r"permission denied .*\[42501\]") as refused:
            backend.save_state("run-1", "begin", {"id": "run-1"})
        assert type(refused.value) is DatabaseError
    finally:
        backend.close()
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f"drop owned by {role}; drop role {role}")


def test_repr_hides_the_password_also_in_a_flow(crewai_dsn, tenant_env):
    dsn = url(crewai_dsn, password="hunter2-secret")
    backend = PostgresFlowPersistence(dsn=dsn)
    flow = build_flows(backend).PipelineFlow(persistence=backend)
    for shown in (repr(backend), str(backend), repr(flow)):
        assert "hunter2-secret" not in shown
    assert "***" in repr(backend)
    assert backend.dsn == dsn, "only the display hides it"


def scratch_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="pgflowstate-crewai-home-"))
    home.chmod(0o755)
    return home


def run_use_postgres(case: str, dsn: str, tenant: dict[str, str], home: Path) -> dict:
    """crewai_use_postgres.py CASE in a process whose home and CrewAI storage are ``home``."""
    env = {**os.environ, "DATABASE_URL": dsn, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "CREWAI_STORAGE_DIR": "use-postgres-test",
           **{variable: tenant[field] for field, variable in TENANT_VARIABLES.items()}}
    done = subprocess.run([sys.executable, str(HERE / "crewai_use_postgres.py"), case], capture_output=True,
                          text=True, env=env, cwd=home)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def sqlite_files(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if p.suffix in (".db", ".sqlite", ".sqlite3")]


@pytest.mark.parametrize("case", ["defined_before", "defined_after"])
def test_use_postgres_leaves_no_sqlite_file(crewai_dsn, tenant_env, case):
    home = scratch_home()
    try:
        found = run_use_postgres(case, crewai_dsn, tenant_env, home)
        assert found["review"] == {"state": {"id": found["review"]["state"]["id"], "steps": ["prepare", "review"]},
                                   "paused": True}, "the pause went to PostgreSQL"
        if case == "defined_after":
            assert found["class_level"]["state"]["steps"] == ["begin", "finish"]
        assert sqlite_files(home) == []
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_use_postgres_switches_classes_decorated_before_it(crewai_dsn, tenant_env):
    # Bare @persist() makes CrewAI's SQLite backend, and its (empty) file, while decorating;
    # use_postgres switches the class over, so not one row is written there.
    home = scratch_home()
    try:
        found = run_use_postgres("class_level_defined_before", crewai_dsn, tenant_env, home)
        assert found["class_level"]["state"]["steps"] == ["begin", "finish"]
        [made] = sqlite_files(home)
        with closing(sqlite3.connect(made)) as conn:
            assert conn.execute("select count(*) from flow_states").fetchone()[0] == 0
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize(("cores", "connections"), [(1, 2), (2, 2), (3, 3), (16, 4)])
def test_by_default_no_more_connections_than_cores_between_two_and_four(crewai_dsn, tenant_env, monkeypatch,
                                                                         cores, connections):
    # More connections than cores made each concurrent step wait longer for a core (20 flows on
    # 2 cores: median 5.0 ms with 4 connections, 3.7 ms with 2; bench_crewai_concurrency.py).
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    backend = PostgresFlowPersistence(dsn=crewai_dsn)
    chosen = PostgresFlowPersistence(dsn=crewai_dsn, max_connections=7)
    try:
        assert backend.max_connections == connections
        assert chosen.max_connections == 7, "a number given is kept"
        assert PostgresFlowPersistence.model_validate(backend.model_dump()).max_connections == connections
        start = threading.Barrier(8)

        def steps(n: int) -> None:
            start.wait()
            for i in range(4):
                backend.save_state(f"run-{n}", "step", {"id": f"run-{n}", "i": i})

        threads = [threading.Thread(target=steps, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(backend.load_state(f"run-{n}") == {"id": f"run-{n}", "i": 3} for n in range(8))
        assert backend._bridge._slots <= connections, "eight threads at once, at most that many connections"
    finally:
        backend.close()
        chosen.close()
