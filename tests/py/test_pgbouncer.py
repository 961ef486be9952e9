"""The wrapper behind a real PgBouncer in transaction pooling mode.

In transaction mode consecutive statements of one client connection may run on different
server connections, so named prepared statements break; create_pool(pgbouncer=True) turns
asyncpg's statement cache off. The flowstate functions keep no session state (their settings
are transaction-local), so nothing else needs care.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from pgflowstate import FlowStateManager, FlowStateStore, RequestContext, create_pool
from pgflowstate.connection import url
from pgflowstate.server.cluster import free_port, unprivileged_user

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@pytest.fixture(scope="module")
def bouncer_dsn(app_dsn):
    """An app-role DSN through a PgBouncer (pool_mode = transaction, 2 server connections)."""
    if not os.path.exists(PGBOUNCER):
        pytest.fail("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)")
    app = conninfo_to_dict(app_dsn)
    base = Path(tempfile.mkdtemp(prefix="pgflowstate-bouncer-"))
    base.chmod(0o755)
    port = free_port()
    (base / "users.txt").write_text(f'"{app["user"]}" "{app.get("password", "")}"\n')
    (base / "pgbouncer.ini").write_text(f"""
[databases]
flows = host={app.get("host", "127.0.0.1")} port={app.get("port", 5432)} dbname={app["dbname"]}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {base}/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
logfile = {base}/pgbouncer.log
pidfile = {base}/pgbouncer.pid
""")
    command = [PGBOUNCER, "-d", str(base / "pgbouncer.ini")]
    run_as = unprivileged_user()  # PgBouncer, like PostgreSQL, refuses to run as root
    if run_as:
        user = pwd.getpwnam(run_as)
        for path in (base, *base.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        command = ["runuser", "-u", run_as, "--", *command]
    started = subprocess.run(command, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr + _log(base)
    _wait_for_listener(port, base)
    try:
        yield url(app_dsn, host="127.0.0.1", port=port, dbname="flows")
    finally:
        pid = (base / "pgbouncer.pid")
        if pid.exists():
            os.kill(int(pid.read_text().strip()), 15)
        shutil.rmtree(base, ignore_errors=True)


def _wait_for_listener(port: int, base: Path) -> None:
    """-d returns once PgBouncer has forked, maybe before it listens: poll until it accepts."""
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("pgbouncer did not start listening:\n" + _log(base))
            time.sleep(0.05)


def _log(base: Path) -> str:
    log = base / "pgbouncer.log"
    return log.read_text()[-2000:] if log.exists() else ""


def context() -> RequestContext:
    return RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4())


def new_doc(flow_id: uuid.UUID) -> dict:
    return {"flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [],
            "state_data": {"count": 0}}


async def test_concurrent_writers_through_transaction_pooling(bouncer_dsn):
    pool = await create_pool(bouncer_dsn, pgbouncer=True, min_size=8, max_size=8)
    try:
        store = FlowStateStore(pool, context())
        manager = FlowStateManager(store)
        shared = uuid.uuid4()
        await store.save_state(shared, new_doc(shared))

        def increment(state: dict) -> None:
            state["count"] += 1

        async def writer() -> None:
            own = uuid.uuid4()
            await store.save_state(own, new_doc(own))
            for _ in range(10):
                await manager.update_with_retry(shared, increment)
                await manager.update_with_retry(own, increment)
            assert (await store.load_state(own)).state_data == {"count": 10}

        # 8 clients over 2 server connections: statements of one client hop between them.
        await asyncio.gather(*(writer() for _ in range(8)))
        final = await store.load_state(shared)
        assert final.state_data == {"count": 80}
        assert final.flow_version == 81
        await store.transition_phase(shared, "field_mapping", final.flow_version)
        assert [h.operation for h in await store.history(shared)][-1] == "transition"
    finally:
        await pool.close()


async def test_tenant_context_does_not_leak_between_clients(bouncer_dsn):
    """Transaction-local settings: one tenant's call never leaves its context on a server
    connection for the next client's call."""
    pool = await create_pool(bouncer_dsn, pgbouncer=True, min_size=4, max_size=4)
    try:
        mine, theirs = FlowStateStore(pool, context()), FlowStateStore(pool, context())
        flow_id = uuid.uuid4()
        await mine.save_state(flow_id, new_doc(flow_id))
        results = await asyncio.gather(*(theirs.load_state(flow_id) for _ in range(20)),
                                       *(mine.load_state(flow_id) for _ in range(20)))
        assert results[:20] == [None] * 20
        assert all(r is not None and r.flow_id == flow_id for r in results[20:])
    finally:
        await pool.close()
