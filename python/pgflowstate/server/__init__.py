"""The embedded default: a local PostgreSQL that pgflowstate starts itself.

When neither --dsn nor DATABASE_URL is given, the CLI and :func:`pgflowstate.connect` use a
server whose data lives under the user's data directory: ``$PGFLOWSTATE_HOME``, else
``$XDG_DATA_HOME/pgflowstate`` or ``~/.local/share/pgflowstate``. As root that would be under
/root, which the unprivileged server user cannot enter, so root's default is
/var/lib/pgflowstate. It listens on 127.0.0.1 (a free port, chosen at each start), where it
asks for the superuser's random password (kept in the server's directory, readable by its owner
only; the URL carries it), and on a unix socket in that directory; the schema is applied on
first use. It uses the PostgreSQL server binaries installed on the machine (see
:func:`pgflowstate.server.cluster.find_pg_bin`).
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from .. import schema
from ..connection import ConnectionFailed, url
from ..pool import create_pool
from .cluster import ClusterError, LocalCluster

DATABASE = "pgflowstate"


def home() -> Path:
    if os.environ.get("PGFLOWSTATE_HOME"):
        return Path(os.environ["PGFLOWSTATE_HOME"])
    if os.geteuid() == 0:
        return Path("/var/lib/pgflowstate")
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "pgflowstate"


def _cluster() -> LocalCluster:
    return LocalCluster(base_dir=home() / "server", durable=True)


def _running_port(cluster: LocalCluster) -> int | None:
    """The port of a running server, from postmaster.pid (line 4), or None."""
    pid_file = cluster.data_dir / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        os.kill(int(lines[0]), 0)
        return int(lines[3])
    except (OSError, ValueError, IndexError):
        return None


def status() -> dict:
    cluster = _cluster()
    port = _running_port(cluster)
    return {"home": str(home()), "initialised": (cluster.data_dir / "PG_VERSION").exists(),
            "running": port is not None,
            # No password file: a server from before passwords, secured at the next up.
            "url": _url(cluster, port) if port and cluster.password_file.exists() else None}


def _url(cluster: LocalCluster, port: int) -> str:
    cluster.port = port
    return cluster.dsn(DATABASE)


def up() -> dict:
    """Start the server if it is not running (initialising it on first use), create the
    database and apply the schema. Idempotent. Returns status()."""
    cluster = _cluster()
    port = _running_port(cluster)
    if port is not None and not cluster.password_file.exists():
        cluster.stop()  # started by a version that trusted TCP: a restart secures it
        port = None
    if port is None:
        cluster.start()
        port = cluster.port
    server_url = _url(cluster, port)
    with psycopg.connect(url(server_url, dbname="postgres"), autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone() is None:
            conn.execute(f'create database "{DATABASE}"')
    schema.upgrade(server_url)
    return status()


def down() -> dict:
    """Stop the server (its data stays). Idempotent. Returns status()."""
    cluster = _cluster()
    if _running_port(cluster) is not None:
        cluster.stop()
    return status()


def default_dsn(dsn: str | None = None) -> str:
    """dsn, else $DATABASE_URL, else the embedded server's URL (started if needed)."""
    if dsn:
        return dsn
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    try:
        return up()["url"]
    except (ClusterError, OSError) as exc:
        raise ConnectionFailed(f"no --dsn or DATABASE_URL, and the embedded server did not start: {exc}") from exc


async def connect(dsn: str | None = None, **asyncpg_options):
    """An asyncpg pool set up for the wrapper (see create_pool) on dsn, $DATABASE_URL, or the
    embedded server, which is started and given the schema on first use."""
    return await create_pool(default_dsn(dsn), **asyncpg_options)
