"""JSON and the arguments every call sends: one encoder, one decoder, one rule for states.

orjson (about ten times faster than json on a large state), with json where orjson would refuse
a value or lose digits. The store, the pool's jsonb codec, the read cache, the migrator and the
CrewAI backend all encode and decode through here; no module has a JSON encoding of its own.
"""

from __future__ import annotations

import json
import marshal
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Callable

import orjson
from pydantic import BaseModel


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
    JavaScript do. For arguments and results; states and documents go through
    ``object_json`` and ``document_json``, which keep every value.

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


# -- exact values -------------------------------------------------------------------------
#
# jsonb cannot hold every value a flow can hold: NaN and +/-Infinity are not JSON, -0.0 becomes
# 0.0, a float written with an exponent (1e+16) comes back an integer, and a text cannot hold
# \u0000 or a lone surrogate. state_data stays plain JSON a DBA can query, with a readable
# stand-in for each such value ("NaN", "Infinity", "-Infinity", the number, U+FFFD for the
# character; the stand-ins flowstate._legacy_json gives imported rows), and the exact values are
# kept beside them in the same object under EXACT_KEY: [[path, JSON text as json.dumps writes
# it], ...], re-applied on load. Inside the object, so every copy SQL makes of state_data
# (history, time travel, checkpoints, recovery, forks, pending feedback) keeps them.

EXACT_KEY = "__pgflowstate_exact__"
_STAND_INS = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}
# A lone surrogate: one with no partner on the right side.
_LONE_SURROGATE = re.compile("[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]")
_NEEDS_EXACT_TEXT = re.compile("[\x00\ud800-\udfff]")


def _stand_in_text(text: str) -> str:
    """What jsonb can hold of a text: surrogate pairs joined (as JSON reads them), U+FFFD for
    each lone surrogate and each \\u0000."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le").replace("\x00", "\ufffd")


class _Exact:
    """One pass over a value: the stand-in tree (JSON types only) and the exact values found.
    ``default`` writes what JSON has no type for, as json.dumps's ``default`` (and is walked
    again); ``keys_like_json``: keys that are not strings become strings as json.dumps makes
    them (else TypeError, as orjson); ``where``: None to record, else the name of the part a
    special value is refused in."""

    def __init__(self, default: Callable[[Any], Any], keys_like_json: bool, where: str | None = None) -> None:
        self.default, self.keys_like_json, self.where = default, keys_like_json, where
        self.entries: list[list[Any]] = []

    def keep(self, path: list[Any], value: Any, stand_in: Any) -> Any:
        if self.where is not None:
            shown = ".".join(str(p) for p in [self.where, *path])
            raise ValueError(f"{shown}: {json.dumps(value, default=self.default)[:40]} cannot be stored"
                             " outside state_data (jsonb has no such value)")
        self.entries.append([path, json.dumps(value, default=self.default)])
        return stand_in

    def walk(self, value: Any, path: list[Any]) -> Any:
        # The order of json.dumps's C encoder: str, None/True/False, int, float, list/tuple,
        # dict, then default.
        if isinstance(value, str):
            if _NEEDS_EXACT_TEXT.search(value) is None:
                return str(value)
            stand_in = _stand_in_text(value)
            return stand_in if "\x00" not in value and not _LONE_SURROGATE.search(value) else (
                self.keep(path, str(value), stand_in))
        if value is None or value is True or value is False:
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            number = float(value)
            text = float.__repr__(number)
            if number != number or number in (math.inf, -math.inf):
                text = json.dumps(number)
                return self.keep(path, number, _STAND_INS[text])
            if (number == 0 and math.copysign(1, number) < 0) or "e+" in text:
                return self.keep(path, number, number)
            return number
        if isinstance(value, (list, tuple)):
            return [self.walk(item, [*path, n]) for n, item in enumerate(value)]
        if isinstance(value, dict):
            return self.walk_object(value, path)
        return self.walk(self.default(value), path)

    def walk_object(self, value: dict, path: list[Any]) -> dict:
        keys = [self.key(k) for k in value]
        stand_in_keys = [_stand_in_text(k) if _NEEDS_EXACT_TEXT.search(k) else k for k in keys]
        if stand_in_keys == keys:
            return {k: self.walk(v, [*path, k]) for k, v in zip(keys, value.values())}
        # A key jsonb cannot hold: the whole object is kept exactly (which covers what is inside
        # it), its stand-in beside it.
        inner = _Exact(self.default, self.keys_like_json, self.where)
        stand_in = {k: inner.walk(v, [*path, k]) for k, v in zip(stand_in_keys, value.values())}
        return self.keep(path, dict(zip(keys, value.values())), stand_in)

    def key(self, key: Any) -> str:
        if isinstance(key, str):
            return str(key)
        if self.keys_like_json:
            if isinstance(key, float):
                return json.dumps(float(key))
            if key is None or isinstance(key, (bool, int)):
                return json.dumps(key if isinstance(key, bool) or key is None else int(key))
            raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
        raise TypeError("Dict key must be str")


def _plain(value: Any) -> str:
    """JSON text of JSON-typed data (no NaN): orjson, json for integers past 64 bits."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))


def _exact_object(value: dict, default: Callable[[Any], Any], keys_like_json: bool) -> dict:
    """The stand-in object with its exact values recorded under EXACT_KEY (when there are any)."""
    walker = _Exact(default, keys_like_json)
    stand_in = walker.walk_object(value, [])
    if EXACT_KEY in value:  # the caller's own key of that name: kept like an exact value
        walker.entries.append([[EXACT_KEY], json.dumps(value[EXACT_KEY], default=default)])
    if walker.entries:
        stand_in[EXACT_KEY] = walker.entries
    return stand_in


def _may_not_load_back(text: bytes) -> bool:
    """Whether orjson's ``text`` holds what jsonb would change in a way a byte search finds: a
    float with a positive exponent (1e+16) or \\u0000 (false alarms allowed). One byte first
    ("+", a backslash: memchr, microseconds on 100 KB, where a longer needle costs about what
    orjson itself does, and a regular expression 1 ms)."""
    at = text.find(b"+")
    while at != -1:
        if text[at - 1:at] == b"e" and text[at - 2:at - 1].isdigit():  # 1e+16
            return True
        at = text.find(b"+", at + 1)
    return text.find(b"\\") != -1 and b"\\u0000" in text


# marshal writes a float as TYPE_BINARY_FLOAT ("g", or 0xE7 flagged as referenced) and its 8
# bytes little-endian: NaN and the infinities end in 0x7F or 0xFF after a byte of 0xF_ (every
# exponent bit set), -0.0 is seven zero bytes and 0x80.
_MARSHAL_FLOAT = (0x67, 0xE7)
_NEGATIVE_ZERO = b"\x00" * 7 + b"\x80"


def _marshal_has_special_float(blob: bytes) -> bool:
    for last in (b"\x7f", b"\xff"):
        at = blob.find(last)
        while at != -1:
            if at >= 8 and blob[at - 1] >= 0xF0 and blob[at - 8] in _MARSHAL_FLOAT:
                return True
            at = blob.find(last, at + 1)
    at = blob.find(_NEGATIVE_ZERO)
    while at != -1:
        if at >= 1 and blob[at - 1] in _MARSHAL_FLOAT:
            return True
        at = blob.find(_NEGATIVE_ZERO, at + 1)
    return False


def _loads_back(text: bytes, value: Any, check: Callable[[], bool]) -> bool:
    """Whether orjson's ``text`` of ``value`` loads back as ``value`` (false alarms allowed).

    NaN and the infinities are null in the text and -0.0 is lost by jsonb, so the value itself
    is searched: marshal (C, about 1.3 times orjson's cost) writes builtin types only, and its
    bytes show every float's bits. A value marshal refuses holds other types (an Enum, a
    datetime, a model), which ``check`` judges (about 6 times orjson's cost: read back and
    compare)."""
    if _may_not_load_back(text):
        return False
    try:
        return not _marshal_has_special_float(marshal.dumps(value))
    except ValueError:
        return check()


def _negative_zero_in(text: bytes) -> bool:
    at = text.find(b"-0.0")
    while at != -1:
        if text[at + 4:at + 5] not in b"0123456789e" or at + 4 == len(text):  # -0.0, not -0.05
            return True
        at = text.find(b"-0.0", at + 4)
    return False


def object_json(value: dict, default: Callable[[Any], Any] | None = None) -> str:
    """JSON text for a jsonb object from which ``restore`` gives back ``value`` exactly as
    ``json.loads(json.dumps(value, default=default))`` would (without ``default``: as orjson
    writes what JSON has no type for, e.g. an Enum as its value), key order aside. Values
    jsonb cannot hold get stand-ins and are recorded under EXACT_KEY.

    The common case costs one orjson and one marshal call and byte searches (see
    ``_loads_back``); the exact pass runs only when the text may not load back as the value.
    """
    if EXACT_KEY not in value:
        try:
            if default is None:
                text = orjson.dumps(value)
            else:
                text = orjson.dumps(value, default=default, option=_LIKE_JSON_DUMPS)
            # Other types than JSON's: written as json.dumps would (a plain Enum is not) and no
            # NaN behind a null, when they read back the same.
            if _loads_back(text, value, lambda: not _negative_zero_in(text) and orjson.loads(text) == value):
                return text.decode()
        except TypeError:  # orjson.JSONEncodeError: integers past 64 bits, lone surrogates
            pass
    keys_like_json = default is not None
    return _plain(_exact_object(value, default or _as_orjson_writes, keys_like_json))


def _document_loads_back(text: bytes, doc: Mapping[str, Any]) -> bool:
    """For a document with other types than JSON's (UUIDs, datetimes): no -0.0, and no NaN
    behind a null (state_data read back the same; the rest, small, value by value)."""
    if _negative_zero_in(text):
        return False
    if b"null" not in text:
        return True
    for key, item in doc.items():
        if key != "state_data":
            _Exact(_as_orjson_writes, False, where=key).walk(item, [])
    state_data = doc.get("state_data")
    return not isinstance(state_data, dict) or orjson.loads(text).get("state_data") == state_data


def document_json(doc: Mapping[str, Any]) -> str:
    """JSON text of a flowstate document: its state_data as ``object_json`` writes it; NaN,
    Infinity and other values jsonb cannot hold are refused anywhere else (ValueError
    naming the path)."""
    state_data = doc.get("state_data")
    if EXACT_KEY not in (state_data if isinstance(state_data, dict) else ()):
        try:
            text = orjson.dumps(doc)
            if _loads_back(text, doc, lambda: _document_loads_back(text, doc)):
                return text.decode()
        except TypeError:
            pass
    stand_in = {k: _Exact(_as_orjson_writes, False, where=k).walk(v, []) for k, v in doc.items()
                if k != "state_data"}
    if isinstance(state_data, dict):
        stand_in["state_data"] = _exact_object(state_data, _as_orjson_writes, False)
    elif "state_data" in doc:
        stand_in["state_data"] = _Exact(_as_orjson_writes, False, where="state_data").walk(state_data, [])
    return _plain(stand_in)


def restore(value: Any) -> Any:
    """An object as ``object_json`` was given it: the exact values recorded under EXACT_KEY put
    back in place of their stand-ins (the object is changed in place and returned). Anything
    else, or a record that is not one (not ``[[path, text], ...]`` with paths that exist), is
    returned as it is."""
    if type(value) is not dict or EXACT_KEY not in value:
        return value
    record = value[EXACT_KEY]
    try:
        exact = [(path, json.loads(text)) for path, text in record]
    except (TypeError, ValueError):
        return value
    if not all(isinstance(path, list) and all(isinstance(p, (str, int)) for p in path) for path, _ in exact):
        return value
    del value[EXACT_KEY]
    for path, item in sorted(exact, key=lambda entry: len(entry[0])):  # outer objects first
        if not path:
            value.clear()
            value.update(item)
            continue
        parent = value
        try:
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = item
        except (KeyError, IndexError, TypeError):
            value[EXACT_KEY] = record  # not ours after all: show it rather than lose it
            return value
    return value


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
    dumped, a plain Enum and anything else as ``str()``). ``restore`` of it, once stored, gives
    what CrewAI's ``json.loads`` gives back (NaN, Infinity, -0.0, floats, \\u0000 included;
    see ``object_json``).
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
    return object_json(state_data, default=crewai_default)


# In CrewAI's text (json.dumps, ASCII), what every value exact_record keeps is written with;
# plain substrings first: the regular expression's alternation scans 2.4 times as slowly.
_MAYBE_EXACT = re.compile(r"NaN|Infinity|\\u0000|\\u[dD][89a-fA-F]|-0\.0|e\+|" + EXACT_KEY)
_MAYBE_EXACT_HINTS = ("NaN", "Infinity", "\\u", "-0.0", "e+", EXACT_KEY)


def exact_record(state_text: str) -> list[list[Any]] | None:
    """The exact values ``crewai_state_json`` keeps for a state CrewAI's built-in backend wrote
    as ``state_text``, e.g. [[["score"], "NaN"]], or None when it keeps none (or the text is
    not a JSON object). The migrator passes them to flowstate.flow_import_legacy, so an
    imported flow is stored as a live save would store it."""
    if not any(hint in state_text for hint in _MAYBE_EXACT_HINTS) or _MAYBE_EXACT.search(state_text) is None:
        return None
    try:
        value = json.loads(state_text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return _exact_object(value, crewai_default, True).get(EXACT_KEY)


def context_json(context: Any) -> str | None:
    """The ``p_context`` argument: a RequestContext as JSON text, or None (all tenants, admins
    only). Not typed as one: models.py reads states through this module (``restore``)."""
    return None if context is None else encode_json(context.jsonb())
