"""Checks of what the wrapper cannot even send: Python types and values PostgreSQL's wire
format has no room for.

The database judges every value it can receive (limits, ranges, phases: FS001 from SQL). What
never reaches it, because asyncpg or the server's text input would fail first with an error no
caller could tell from a bug, is refused here as StateValidationError with a sentence naming
the argument: a str where a version goes (and a bool or a float, which asyncpg would quietly
take as an integer), integers past the column's range, text with a NUL character or a lone
surrogate, and the wrong types in general.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from .errors import StateValidationError

BIGINT = (-(2**63), 2**63 - 1)
INTEGER = (-(2**31), 2**31 - 1)


def refuse(sentence: str) -> StateValidationError:
    """A StateValidationError of one sentence, shaped as the database's FS001."""
    return StateValidationError(sentence, detail={"errors": [sentence]})


def _kind(value: Any) -> str:
    return type(value).__name__


def text(value: Any, name: str, *, optional: bool = True) -> str | None:
    """A str PostgreSQL text can hold (no NUL, valid UTF-8), or None when optional."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise refuse(f"{name} must be a string, not {_kind(value)}.")
    if "\x00" in value:
        raise refuse(f"{name} contains a NUL character (\\x00), which PostgreSQL text cannot hold.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise refuse(f"{name} is not valid Unicode text: a lone surrogate at position {exc.start}.") from exc
    return value


def integer(value: Any, name: str, *, optional: bool = True, bounds: tuple[int, int] = BIGINT) -> int | None:
    """An int within the SQL type's range. A bool is not an integer here, nor a float (1.9
    would be sent as 1), nor a numeric string."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise refuse(f"{name} must be an integer, not {_kind(value)} {value!r:.40}.")
    value = int(value)
    if not bounds[0] <= value <= bounds[1]:
        raise refuse(f"{name} {value} is out of range: it must be between {bounds[0]} and {bounds[1]}.")
    return value


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise refuse(f"{name} must be True or False, not {_kind(value)}.")
    return value


def timestamp(value: Any, name: str) -> datetime | None:
    if value is not None and not isinstance(value, datetime):
        raise refuse(f"{name} must be a datetime, not {_kind(value)}.")
    return value


def uuid(value: Any, name: str) -> UUID:
    """A UUID, or a str that spells one."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value if isinstance(value, str) else str(value))
    except ValueError:
        raise refuse(f"{name} {value!r:.60} is not a UUID.") from None


def sequence(value: Any, name: str) -> list[Any]:
    """The items of a list, tuple or other iterable; a str or a mapping is refused (its
    characters or keys are not items)."""
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise refuse(f"{name} must be a list or tuple, not {_kind(value)}.")
    return list(value)
