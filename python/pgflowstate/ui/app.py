"""The inspector's web app and its server: a token gate, CSRF-checked forms, one store.

Every request needs the server's random token, given once in the URL (``?token=...``, as
Jupyter does) and then carried by a cookie; without it the answer is 403. Forms that change
anything are POSTs carrying a CSRF token derived from the server token, and exist only when the
server was started with ``allow_actions``.
"""

from __future__ import annotations

import asyncio
import socket
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from ..connection import DatabaseError, describe, open_pool
from ..models import RequestContext
from ..schema import schema_ready
from ..store import FlowStateStore
from . import routes, views
from .tokens import TOKEN_PARAM, cookie_name, csrf_token, new_token, same

HERE = Path(__file__).parent


@dataclass
class Inspector:
    """What every page needs: the store (one tenant, or all tenants), whether actions are
    allowed, and the CSRF token forms carry."""

    store: FlowStateStore
    allow_actions: bool
    csrf: str
    acting_as: str
    templates: Jinja2Templates


def acting_as(context: RequestContext | None) -> str:
    if context is None:
        return "all tenants (admin)"
    return (f"client account {context.client_account_id}, engagement {context.engagement_id}, "
            f"user {context.user_id}")


class TokenGate:
    """ASGI middleware: 403 for every request without the token (URL or cookie)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token
        self.cookie = cookie_name(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = with_headers(send)
        request = Request(scope)
        if same(request.query_params.get(TOKEN_PARAM), self.token):
            # Keep the token out of the address bar and the history: cookie, then redirect.
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != TOKEN_PARAM]
            response = RedirectResponse(request.url.path + ("?" + urlencode(rest) if rest else ""), 303)
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
        elif same(request.cookies.get(self.cookie), self.token):
            await self.app(scope, receive, send)
            return
        else:
            response = HTMLResponse(FORBIDDEN, status_code=403)
        await response(scope, receive, send)


# Pages come from this server only, are never framed (no clicking an action through another
# site's page) and never tell other sites their address.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def with_headers(send: Send) -> Send:
    async def sending(message: dict) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
        await send(message)

    return sending


FORBIDDEN = """<!doctype html><html lang="en"><meta charset="utf-8"><title>403 · pgflowstate ui</title>
<h1>403: no token</h1><p>Open the URL that <code>pgflowstate ui</code> printed (it carries the
server's token).</p></html>"""


def create_app(store: FlowStateStore, token: str, allow_actions: bool = False) -> ASGIApp:
    """The inspector as an ASGI app over ``store`` (its context: one tenant, or None for all
    tenants with an admin connection), behind the token gate."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    views.register_filters(env)
    templates = Jinja2Templates(env=env)
    app = Starlette(routes=[*routes.ROUTES, Mount("/static", StaticFiles(directory=HERE / "static"), name="static")],
                    exception_handlers=routes.EXCEPTION_HANDLERS)
    app.state.inspector = Inspector(store=store, allow_actions=allow_actions, csrf=csrf_token(token),
                                    acting_as=acting_as(store.context), templates=templates)
    return TokenGate(app, token)


class ServeError(Exception):
    """The inspector cannot listen where it was asked to (port taken, no such address)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one), bound before the URL is printed."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def url_of(sock: socket.socket, token: str) -> str:
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/?{TOKEN_PARAM}={token}"


async def run(dsn: str, context: RequestContext | None, *, host: str = "127.0.0.1", port: int = 0,
              open_browser: bool = False, allow_actions: bool = False,
              ready: Callable[[str], Any] = print) -> None:
    """Connect to ``dsn`` (any libpq DSN; ConnectionFailed when it cannot), then serve the
    inspector until interrupted; ``ready`` gets the URL (with its token) once it listens."""
    token = new_token()
    sock = bind(host, port)  # listening from now on: a browser opened early waits in the backlog
    try:
        pool = await open_pool(dsn, min_size=1, max_size=4)
    except BaseException:
        sock.close()
        raise
    try:
        if not await schema_ready(pool):
            raise DatabaseError(f"no flowstate schema in {describe(dsn)}: run `pgflowstate db upgrade`")
        app = create_app(FlowStateStore(pool, context), token, allow_actions)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        url = url_of(sock, token)
        ready(url)
        if open_browser:
            webbrowser.open(url)
        await server.serve(sockets=[sock])
    finally:
        sock.close()
        await pool.close()


def serve(dsn: str, context: RequestContext | None, **options: Any) -> None:
    """Blocking form of :func:`run` (the ``pgflowstate ui`` command)."""
    asyncio.run(run(dsn, context, **options))


