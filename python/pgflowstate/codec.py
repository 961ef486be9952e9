"""JSON and the arguments every call sends: one encoder, one decoder.

orjson (about ten times faster than json on a large state), with json where orjson would refuse
a value or lose digits. The store, the pool's jsonb codec, the read cache, the migrator and the
CrewAI backend all encode and decode through here; no module has a JSON encoding of its own.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Callable

import orjson
from pydantic import BaseModel

from .models import RequestContext

# -- JSON ---------------------------------------------------------------------------------

# Any digit becomes 0, so a run of 19 zeros in the result marks a run of 19 digits. Ten times
# faster than a regular expression search (which cost 14 us on a 1 KB document, 1 ms on 100 KB).
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 19

# With a ``default``: datetimes and dataclasses go to it, as with json.dumps; keys as
# json.dumps makes them.
_LIKE_JSON_DUMPS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)


def encode_json(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """orjson, except that integers past 64 bits (which orjson refuses) are written exactly.

    NaN and Infinity are not JSON: orjson writes them as null, as pydantic's JSON and
    JavaScript do. Refusing them instead would need a second pass over every document
    (the stdlib check costs more than the save itself for a 75 KB state), so we do not.

    ``default``, as json.dumps takes it: how to write what JSON has no type for. With it the
    text holds what ``json.dumps(value, default=default)`` holds (spacing aside, and NaN as
    above): datetimes, dates and dataclasses go through ``default`` too, keys that are not
    strings become strings, and what orjson refuses is written by json.dumps itself. The CrewAI
    backend writes states so, as CrewAI's own backend does.
    """
    if default is not None:
        try:
            return orjson.dumps(value, default=default, option=_LIKE_JSON_DUMPS).decode()
        except TypeError:  # orjson.JSONEncodeError is one: e.g. integers past 64 bits
            return json.dumps(value, default=default)
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError as exc:
        if "64-bit" not in str(exc):
            raise
        # What json cannot write (datetimes, UUIDs, ...) is written as orjson writes it.
        return json.dumps(value, allow_nan=False, separators=(",", ":"), default=_as_orjson_writes)


def _as_orjson_writes(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def decode_json(text: str) -> Any:
    """orjson, except where it would lose digits: jsonb prints numbers without exponent, so a
    run of 19 digits may be an integer past 64 bits (orjson makes it a float)."""
    if _LONG_DIGIT_RUN not in text.encode().translate(_DIGITS_TO_ZERO):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


# -- CrewAI's encoding ----------------------------------------------------------------------


def crewai_default(obj: Any) -> Any:
    """The fallback CrewAI's built-in backend gives ``json.dumps`` (same results, same order)."""
    if isinstance(obj, BaseModel):
        try:
            return obj.model_dump(mode="json")
        except Exception:
            return obj.model_dump(mode="python")
    if isinstance(obj, (set, tuple)):
        return list(obj)
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    return str(obj)


def crewai_state_json(state_data: dict[str, Any] | BaseModel) -> str:
    """A flow state as JSON text, as CrewAI's built-in backend writes it.

    A pydantic state is ``model_dump(mode="json")``; a dict goes through CrewAI's fallback for
    other types (datetime and date as ``isoformat()``, sets and tuples as lists, nested models
    dumped, anything else as ``str()``). Written with orjson, so two things differ from CrewAI's
    ``json.dumps``, both values JSON cannot carry as such: NaN and Infinity become null (as in
    pydantic's JSON and the rest of pgflowstate; jsonb has no NaN), and a member of a plain
    ``Enum`` in a dict state is written as its value rather than ``str(member)``.
    """
    if isinstance(state_data, BaseModel):
        try:
            state_data = state_data.model_dump(mode="json")
        except Exception:  # as CrewAI: fall back to python mode (and then to crewai_default)
            state_data = state_data.model_dump(mode="python")
    if not isinstance(state_data, dict):
        raise ValueError(
            f"state_data must be either a Pydantic BaseModel or dict, got {type(state_data)}"
        )
    return encode_json(state_data, default=crewai_default)


def context_json(context: RequestContext | None) -> str | None:
    """The ``p_context`` argument: the context as JSON text, or None (all tenants, admins only)."""
    return None if context is None else encode_json(context.jsonb())
