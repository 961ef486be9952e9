"""A TCP proxy in front of the test server that reads PostgreSQL's protocol as it passes.

- ``count``: ReadyForQuery ('Z') messages seen; the server sends exactly one per round trip
  (per Sync, or per simple query).
- ``cut_after(fragment)``: the next statement whose SQL contains ``fragment`` runs and commits
  on the server, then the proxy closes the client's connection instead of passing the reply
  on: a reply lost after the commit. ``cuts`` counts the replies lost so far.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import asyncpg
from psycopg.conninfo import conninfo_to_dict

from pgflowstate import ConcurrentModificationError

_SSL_OR_GSS_REQUEST = (80877103, 80877104)  # answered by one untyped byte


class Proxy:
    def __init__(self, target: tuple[str, int] | str) -> None:
        self.target = target
        self.count = 0
        self.cuts = 0
        self._fragment: str | None = None

    async def __aenter__(self) -> "Proxy":
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()

    def dsn(self, dsn: str) -> str:
        """``dsn`` (its user, password and database) through the proxy, without TLS."""
        params = conninfo_to_dict(dsn)
        password = f":{quote(params['password'], safe='')}" if params.get("password") else ""
        return (f"postgresql://{quote(params['user'], safe='')}{password}@127.0.0.1:{self.port}/"
                f"{quote(params['dbname'], safe='')}?sslmode=disable")

    def cut_after(self, fragment: str) -> None:
        self._fragment = fragment

    async def measure(self, call) -> int:
        """Round trips made by ``call()`` (a stale save's refusal included)."""
        before = self.count
        try:
            await call()
        except ConcurrentModificationError:
            pass
        return self.count - before

    async def _relay(self, client_reader, client_writer) -> None:
        if isinstance(self.target, str):
            server_reader, server_writer = await asyncio.open_unix_connection(self.target)
        else:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        session = _Session()
        await asyncio.gather(
            self._from_client(client_reader, server_writer, session),
            self._from_server(server_reader, client_writer, server_writer, session),
            return_exceptions=True,
        )

    async def _from_client(self, reader, writer, session: "_Session") -> None:
        try:
            while True:  # startup: untyped messages, until the StartupMessage itself
                header = await reader.readexactly(4)
                body = await reader.readexactly(int.from_bytes(header, "big") - 4)
                session.answer_byte = int.from_bytes(body[:4], "big") in _SSL_OR_GSS_REQUEST
                writer.write(header + body)
                await writer.drain()
                if not session.answer_byte:
                    break
            while True:
                kind = await reader.readexactly(1)
                header = await reader.readexactly(4)
                body = await reader.readexactly(int.from_bytes(header, "big") - 4)
                self._watch(kind, body, session)
                writer.write(kind + header + body)
                await writer.drain()
        finally:
            writer.close()

    def _watch(self, kind: bytes, body: bytes, session: "_Session") -> None:
        fields = body.split(b"\0")
        if kind == b"P":  # Parse: statement name, query
            session.statements[fields[0]] = fields[1].decode()
            return
        if kind == b"B":  # Bind: portal, statement name
            query = session.statements.get(fields[1], "")
        elif kind == b"Q":  # a simple query
            query = fields[0].decode()
        else:
            return
        if self._fragment is not None and self._fragment in query:
            self._fragment = None
            session.cutting = True

    async def _from_server(self, reader, writer, server_writer, session: "_Session") -> None:
        try:
            while True:
                kind = await reader.readexactly(1)
                if session.answer_byte:  # 'S' or 'N' to an SSL or GSS request
                    session.answer_byte = False
                    writer.write(kind)
                    continue
                header = await reader.readexactly(4)
                body = await reader.readexactly(int.from_bytes(header, "big") - 4)
                if kind == b"Z":
                    self.count += 1  # before forwarding: complete when the caller wakes
                if session.cutting:
                    if kind == b"Z":  # the statement's transaction has ended: committed
                        self.cuts += 1
                        writer.transport.abort()
                        server_writer.close()
                        return
                    continue
                writer.write(kind + header + body)
                await writer.drain()
        finally:
            writer.close()


class _Session:
    def __init__(self) -> None:
        self.statements: dict[bytes, str] = {}  # prepared statement name -> query
        self.answer_byte = False
        self.cutting = False


async def server_address(dsn: str) -> tuple[str, int] | str:
    """Where the server behind ``dsn`` listens: (host, port), or its unix socket's path."""
    conn = await asyncpg.connect(dsn)
    try:
        host, port, sockets = await conn.fetchrow(
            "select host(inet_server_addr()), inet_server_port(),"
            " current_setting('unix_socket_directories')")
        if host is not None:
            return host, port
        port = await conn.fetchval("select current_setting('port')")
        return f"{sockets.split(',')[0].strip()}/.s.PGSQL.{port}"
    finally:
        await conn.close()
