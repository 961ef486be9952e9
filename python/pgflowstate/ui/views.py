"""Presentation helpers: what the templates show, shaped from what the wrapper returns.

Nothing here decides anything about flows: it formats times, paths and values, lays out the
timeline and the phase strip, and turns a StateError into sentences.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import jinja2

from ..errors import ConcurrentModificationError, StateError, StateRecoveryError
from ..models import Activity, HistoryEntry, LegacyEntry

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$")


def utc(value: Any) -> str:
    """2026-01-31 12:00:00.123Z (or the text as is, for a legacy timestamp)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def dotted(path: list[str]) -> str:
    """["state_data", "a b", "0"] -> state_data["a b"].0"""
    out = ""
    for key in path:
        out += f".{key}" if _PLAIN_KEY.match(key) else f"[{json.dumps(key, ensure_ascii=False)}]"
    return out.lstrip(".") or "(document)"


def to_json(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


def short_id(value: Any) -> str:
    text = str(value or "")
    return text[:8] if re.fullmatch(r"[0-9a-f-]{36}", text) else text


def register_filters(env: jinja2.Environment) -> None:
    env.filters.update(utc=utc, iso=iso, dotted=dotted, json=to_json, json_type=json_type, short_id=short_id)
    env.tests["container"] = lambda v: isinstance(v, (dict, list))


# -- errors -------------------------------------------------------------------------------


@dataclass
class Problem:
    """A refused call, as a title and sentences (the SQL function's own error, readable)."""

    title: str
    sentences: list[str]
    sqlstate: str = ""


def describe_error(exc: StateError) -> Problem:
    if isinstance(exc, ConcurrentModificationError):
        return Problem("The flow changed since this page was loaded", [
            f"You acted on version {exc.expected}; the flow is now at version {exc.actual}.",
            "Nothing was changed. Look at the flow again and decide anew.",
        ], exc.sqlstate)
    if isinstance(exc, StateRecoveryError):
        sentences = [exc.reason or str(exc)]
        if exc.checkpoints_tried is not None:
            sentences.append(f"Checkpoints tried: {exc.checkpoints_tried}.")
        return Problem("Recovery refused", sentences + exc.errors + ["Nothing was changed."], exc.sqlstate)
    errors = exc.detail.get("errors") or []
    reason = exc.detail.get("reason")
    return Problem(str(exc), [*errors, *([reason] if reason else []), "Nothing was changed."], exc.sqlstate)


# -- timeline -----------------------------------------------------------------------------

# Operations that restore or reset a flow, and those that record no new state.
NOTABLE = {"recover": "recovery", "reset": "reset", "archive": "quarantine", "import": "import",
           "fork": "fork", "forked": "fork"}


@dataclass
class Event:
    """One line of a flow's timeline: an audit row, or a legacy CrewAI step before its import."""

    at: Any
    operation: str
    kind: str  # css class: save, checkpoint, recovery, quarantine, legacy, ...
    old_version: int | None = None
    new_version: int | None = None
    old_phase: str | None = None
    new_phase: str | None = None
    actor: str = ""
    user: str = ""  # the acting user's id, short
    label: str = ""
    changed_paths: list[str] = field(default_factory=list)
    snapshot: bool = False
    legacy_id: int | None = None

    @property
    def time(self) -> str:
        return utc(self.at)

    @property
    def iso(self) -> str:
        return iso(self.at)

    @property
    def phase_changed(self) -> bool:
        return self.old_phase is not None and self.old_phase != self.new_phase

    @property
    def version_changed(self) -> bool:
        return self.new_version is not None and self.old_version != self.new_version


def changed_paths(changes: list[Any] | None) -> list[str]:
    """The paths of a history row's changes ([[path], value] sets and [[path]] deletions)."""
    paths = []
    for change in changes or []:
        if isinstance(change, list) and change and isinstance(change[0], list):
            paths.append(("- " if len(change) == 1 else "") + dotted([str(k) for k in change[0]]))
    return paths


def timeline(history: list[HistoryEntry], legacy: list[LegacyEntry]) -> list[Event]:
    events = [
        Event(at=row.legacy_timestamp, operation=row.method_name or "(no method)", kind="legacy",
              new_phase=row.method_name, legacy_id=row.legacy_id, label=f"CrewAI row {row.legacy_id}")
        for row in legacy
    ]
    for row in history:
        events.append(Event(
            at=row.logged_at, operation=row.operation, kind=NOTABLE.get(row.operation, row.operation),
            old_version=row.old_version, new_version=row.new_version, old_phase=row.old_phase,
            new_phase=row.new_phase, actor=row.actor_role or "",
            user=short_id(row.actor_user_id), label=row.label or "",
            changed_paths=changed_paths(row.changes), snapshot=row.snapshot))
    return events


@dataclass
class Cursor:
    """Where a page of the timeline ends: the last audit row shown (its id and time)."""

    audit_id: int
    at: datetime

    @classmethod
    def of(cls, row: HistoryEntry) -> Cursor:
        return cls(row.audit_id, row.logged_at)

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        try:
            audit_id, at = (text or "").split("@", 1)
            return cls(int(audit_id), datetime.fromisoformat(at))
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.audit_id}@{self.at.isoformat()}"


@dataclass
class Segment:
    phase: str
    start: int  # index of the first event in the phase
    end: int  # index after the last
    first_version: int | None
    last_version: int | None
    since: Any
    until: Any


@dataclass
class PhaseStrip:
    """Where the flow was, event by event: one lane per phase (in order of first visit),
    segments placed by event index so a busy minute and a quiet week both stay readable."""

    lanes: list[str]
    segments: list[Segment]
    events: int

    def left(self, segment: Segment) -> float:
        return round(100 * segment.start / self.events, 3)

    def width(self, segment: Segment) -> float:
        return round(100 * (segment.end - segment.start) / self.events, 3)


def phase_strip(events: list[Event]) -> PhaseStrip:
    lanes: list[str] = []
    segments: list[Segment] = []
    for i, event in enumerate(events):
        phase = event.new_phase or event.old_phase or "?"
        if phase not in lanes:
            lanes.append(phase)
        last = segments[-1] if segments else None
        if last is not None and last.phase == phase:
            last.end = i + 1
            last.last_version = event.new_version
            last.until = event.at
        else:
            segments.append(Segment(phase, i, i + 1, event.new_version, event.new_version, event.at, event.at))
    return PhaseStrip(lanes, segments, max(len(events), 1))


@dataclass
class Quarantine:
    """A quarantined document: where its archive and reset show in the history."""

    quarantine_id: str
    version: int | None
    at: Any
    actor: str
    problems: list[str] = field(default_factory=list)


def quarantines(history: list[HistoryEntry]) -> list[Quarantine]:
    return [Quarantine(row.label or "", row.new_version, row.logged_at, row.actor_role or "")
            for row in history if row.operation == "archive"]


def versions(history: list[HistoryEntry]) -> list[int]:
    """Every version the history knows, ascending (for the diff pickers)."""
    return sorted({row.new_version for row in history if row.new_version is not None})


# -- overview and flows list --------------------------------------------------------------


@dataclass
class Bar:
    label: str
    flows: int
    percent: float  # of the largest bar
    href: str


def bars(counts: list[Any], key: str, filter_name: str) -> list[Bar]:
    """flow_counts rows summed by one column (flow_type, current_phase or status), largest
    first, each bar linking to the flows list filtered by it."""
    totals: dict[str, int] = {}
    for row in counts:
        totals[getattr(row, key)] = totals.get(getattr(row, key), 0) + row.flows
    largest = max(totals.values(), default=1)
    return [Bar(label, n, round(100 * n / largest, 2), "/flows?" + urlencode({filter_name: label}))
            for label, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]


@dataclass
class Column:
    """One bucket of the activity chart: its start and end, writes, height and the flows list
    of the flows last updated in it."""

    start: datetime
    end: datetime
    writes: int
    percent: float  # of the busiest bucket
    href: str


def local_input(value: datetime) -> str:
    """The flows list's time fields are the browser's datetime-local (local time, naive)."""
    return value.astimezone().replace(tzinfo=None).isoformat(timespec="seconds")


def columns(activity: Activity) -> list[Column]:
    """flow_activity's buckets as chart columns, oldest first; each links to the flows list of
    the flows whose latest write falls in it (an earlier write of a flow written again later
    counts in its bucket but lists in the later one)."""
    step = activity.buckets[1].start - activity.buckets[0].start if len(activity.buckets) > 1 else None
    busiest = max((b.writes for b in activity.buckets), default=0) or 1
    out = []
    for i, b in enumerate(activity.buckets):
        end = activity.buckets[i + 1].start if i + 1 < len(activity.buckets) else (
            b.start + step if step else activity.as_of)
        href = "/flows?" + urlencode({"updated_after": local_input(b.start), "updated_before": local_input(end)})
        out.append(Column(b.start, end, b.writes, round(100 * b.writes / busiest, 2), href))
    return out


# The flows list's filter fields, as flow_search names them; text as typed, unless noted.
# crewai_class and crewai_finished are metadata the CrewAI backend records (added to metadata).
FILTERS = ("flow_type", "phase", "status", "external_id", "metadata", "created_after", "created_before",
           "updated_after", "updated_before", "parent_flow_id", "client_account_id", "engagement_id",
           "crewai_class", "crewai_finished", "quarantined")
TIMES = {"created_after", "created_before", "updated_after", "updated_before"}
STATUSES = ("running", "paused", "recovered", "completed", "failed")
CREWAI_FINISHED = {"finished": True, "unfinished": False}
QUARANTINED = {"true": True, "false": False}  # as the overview's link spells it


def search_filters(params: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """From the list's query string: the wrapper's search() arguments, the form's values as
    typed, and the problems found before asking the database (which judges the rest)."""
    typed = {name: params.get(name, "").strip() for name in FILTERS}
    arguments: dict[str, Any] = {}
    crewai: dict[str, Any] = {}
    problems = []
    for name, value in typed.items():
        if not value:
            continue
        if name == "metadata":
            try:
                arguments[name] = json.loads(value)
            except ValueError:
                problems.append('metadata must be a JSON object, such as {"team": "blue"}.')
        elif name == "crewai_class":
            crewai["crewai_class"] = value
        elif name == "crewai_finished":
            if value in CREWAI_FINISHED:
                crewai["crewai_finished"] = CREWAI_FINISHED[value]
            else:
                problems.append("CrewAI run must be finished or unfinished.")
        elif name == "quarantined":
            if value in QUARANTINED:
                arguments[name] = QUARANTINED[value]
            else:
                problems.append("quarantined must be true or false.")
        elif name in TIMES:
            try:
                arguments[name] = datetime.fromisoformat(value)  # naive: local time, as the browser shows it
            except ValueError:
                problems.append(f"{name.replace('_', ' ')} must be a date and time.")
        else:
            arguments[name] = value
    if crewai:
        if not isinstance(arguments.get("metadata", {}), dict):
            problems.append('metadata must be a JSON object, such as {"team": "blue"}.')
        else:
            arguments["metadata"] = {**arguments.get("metadata", {}), **crewai}
    return arguments, typed, problems
