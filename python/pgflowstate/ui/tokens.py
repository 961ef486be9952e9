"""The server's secret: the token in its URL, the cookie that carries it, the forms' CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PARAM = "token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), b"pgflowstate-ui-csrf", hashlib.sha256).hexdigest()


def cookie_name(token: str) -> str:
    # Cookies are shared by every port of a host: a name of its own per server, so two
    # inspectors on one machine do not overwrite each other's cookie.
    return "pgflowstate_ui_" + hashlib.sha256(token.encode()).hexdigest()[:12]


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison (a missing value never matches)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
