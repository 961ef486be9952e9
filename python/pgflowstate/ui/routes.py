"""The inspector's pages. Each is one or a few calls to the wrapper (flowstate functions); actions
are a GET that shows what will happen and a confirming POST that does it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode
from uuid import UUID

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..errors import StateError
from ..models import FlowState
from . import views
from .tokens import same


def inspector(request: Request):
    return request.app.state.inspector


def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    ins = inspector(request)
    return ins.templates.TemplateResponse(request, name, {"ins": ins, **context}, status_code=status)


def flow_id_of(request: Request) -> UUID:
    try:
        return UUID(request.path_params["flow_id"])
    except ValueError:
        raise HTTPException(404, "That is not a flow id.")


def int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number.")


CHECKPOINTS_PAGE = 20


def checkpoint_after(request: Request) -> UUID | None:
    try:
        return UUID(request.query_params["checkpoints_after"])
    except (KeyError, ValueError):
        return None


async def current(request: Request, flow_id: UUID) -> FlowState:
    doc = await inspector(request).store.load_state(flow_id)
    if doc is None:
        raise HTTPException(404, f"No flow {flow_id} (or not one this tenant may see).")
    return doc


# -- reading ------------------------------------------------------------------------------


NEWEST = 10
PAGE = 50


async def overview(request: Request) -> Response:
    store = inspector(request).store
    counts = await store.counts()
    activity = await store.activity()
    newest = await store.search(limit=NEWEST)
    by_status = views.bars(counts, "status", "status")
    return page(request, "overview.html", total=sum(row.flows for row in counts),
                statuses={bar.label: bar.flows for bar in by_status}, by_status=by_status,
                by_type=views.bars(counts, "flow_type", "flow_type"),
                by_phase=views.bars(counts, "current_phase", "phase"), newest=newest.flows,
                activity=activity, columns=views.columns(activity))


async def flows(request: Request) -> Response:
    """The flows list: flow_search with the form's filters, a page at a time (keyset)."""
    arguments, typed, problems = views.search_filters(request.query_params)
    after = request.query_params.get("after") or None
    limit = int_param(request, "limit")
    found = None
    if not problems:
        try:
            found = await inspector(request).store.search(**arguments, after=after, limit=limit or PAGE)
        except StateError as exc:
            problems = views.describe_error(exc).sentences[:-1]  # what was wrong; nothing changes anyway
    query = {name: value for name, value in typed.items() if value} | ({"limit": limit} if limit else {})
    return page(request, "flows.html", 400 if problems else 200, found=found, typed=typed, problems=problems,
                statuses=views.STATUSES, first=after is not None,
                first_href="/flows?" + urlencode(query),
                next_href="/flows?" + urlencode({**query, "after": found.next}) if found and found.next else None)


async def go(request: Request) -> Response:
    """The "open a flow" box: a flow id goes to its page; anything else is looked up as a
    CrewAI (external) id."""
    query = request.query_params.get("q", "").strip()
    try:
        return RedirectResponse(f"/flows/{UUID(query)}", 303)
    except ValueError:
        pass
    found = await inspector(request).store.search(external_id=query, limit=2)
    if len(found.flows) == 1:
        return RedirectResponse(f"/flows/{found.flows[0].flow_id}", 303)
    return RedirectResponse("/flows?" + urlencode({"external_id": query}), 303)


TIMELINE_PAGE = 500
SAME_INSTANT = 50  # audit rows of one transaction share a timestamp: fetch past them, then skip


async def flow(request: Request) -> Response:
    flow_id = flow_id_of(request)
    store = inspector(request).store
    doc = await current(request, flow_id)
    cursor = views.Cursor.parse(request.query_params.get("events_after"))
    size = min(max(int_param(request, "events") or TIMELINE_PAGE, 1), 10 * TIMELINE_PAGE)
    fetched = await store.history(flow_id, since=cursor and cursor.at, limit=size + SAME_INSTANT)
    history = [row for row in fetched if cursor is None or row.audit_id > cursor.audit_id]
    more = len(history) > size or len(fetched) == size + SAME_INSTANT
    history = history[:size]
    imported = cursor is None and any(row.operation == "import" for row in history)
    legacy = await store.legacy_history(flow_id) if imported else []
    feedback = await store.load_pending_feedback(flow_id) if doc.status == "paused" else None
    checkpoints = await store.list_checkpoints(flow_id, after=checkpoint_after(request), limit=CHECKPOINTS_PAGE)
    quarantined = views.quarantines(await store.history(flow_id, operation="archive"))
    for record in quarantined:  # the archived version, validated again: why it was quarantined
        archived = await store.state_at(flow_id, record.version) if record.version else None
        if archived is not None:
            record.problems = await store.validate_state(archived.document())
    later = views.Cursor.of(history[-1]) if more and history else None
    events = views.timeline(history, legacy)
    return page(request, "flow.html", doc=doc, events=events, strip=views.phase_strip(events),
                versions=views.versions(history), legacy=legacy, feedback=feedback, quarantined=quarantined,
                checkpoints=checkpoints, continued=cursor is not None, later=later,
                size=size if size != TIMELINE_PAGE else None, done=request.query_params.get("done"))


async def version(request: Request) -> Response:
    flow_id = flow_id_of(request)
    number = int(request.path_params["version"])
    store = inspector(request).store
    doc = await current(request, flow_id)
    state = await store.state_at(flow_id, number)
    if state is None:
        raise HTTPException(404, f"Flow {flow_id} has no version {number} (it is at version {doc.flow_version}).")
    return page(request, "version.html", doc=doc, state=state, number=number)


async def diff(request: Request) -> Response:
    flow_id = flow_id_of(request)
    store = inspector(request).store
    doc = await current(request, flow_id)
    latest = doc.flow_version or 1
    to_version = int_param(request, "to") or latest
    from_version = int_param(request, "from") or max(to_version - 1, 1)
    entries = await store.diff(flow_id, from_version, to_version)
    missing = [] if entries else [v for v in (from_version, to_version) if not 1 <= v <= latest]
    return page(request, "diff.html", doc=doc, entries=entries, from_version=from_version,
                to_version=to_version, missing=missing, versions=list(range(1, latest + 1)))


async def legacy(request: Request) -> Response:
    flow_id = flow_id_of(request)
    doc = await current(request, flow_id)
    rows = await inspector(request).store.legacy_history(flow_id)
    return page(request, "legacy.html", doc=doc, rows=rows)


# -- actions ------------------------------------------------------------------------------


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form body (what browsers send), last value per name."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


def read_only(request: Request) -> Response:
    return page(request, "error.html", 403, title="Read-only inspector", sentences=[
        "Actions are off: start the inspector with `pgflowstate ui --allow-actions` to recover, fork or delete flows."])


async def confirmed(request: Request) -> dict[str, str]:
    """The POSTed form, after checking that actions are on and the CSRF token is right."""
    ins = inspector(request)
    fields = await form(request)
    if not same(fields.get("csrf"), ins.csrf):
        raise HTTPException(403, "The form's CSRF token is missing or wrong: reload the page.")
    return fields


async def recover(request: Request) -> Response:
    """Recover from a checkpoint (flow_recover_from_checkpoint, version-checked) or, without
    one, from the newest valid checkpoint (flow_recover_failed)."""
    if not inspector(request).allow_actions:
        return read_only(request)
    flow_id = flow_id_of(request)
    store = inspector(request).store
    problem = None
    if request.method == "POST":
        fields = await confirmed(request)
        checkpoint = fields.get("checkpoint") or None
        try:
            if checkpoint:
                expected = int(fields["expected_version"])
                result = await store.recover_from_checkpoint(flow_id, checkpoint, version=expected)
            else:
                result = await store.recover_failed(flow_id)
        except StateError as exc:
            problem = views.describe_error(exc)
        else:
            done = urlencode({"done": f"Recovered: version {result.flow_version}, phase "
                                      f"{result.current_phase}, status {result.status}."})
            return RedirectResponse(f"/flows/{flow_id}?{done}", 303)
    else:
        checkpoint = request.query_params.get("checkpoint") or None
    doc = await current(request, flow_id)
    chosen = next((c for c in doc.checkpoints if str(c.id) == checkpoint), None)
    return page(request, "recover.html", 409 if problem else 200, doc=doc, checkpoint=checkpoint,
                chosen=chosen, problem=problem, expected_version=doc.flow_version)


async def fork(request: Request) -> Response:
    """Fork at a version (flow_fork): a new flow at version 1 with that version's state."""
    if not inspector(request).allow_actions:
        return read_only(request)
    flow_id = flow_id_of(request)
    store = inspector(request).store
    problem, fields = None, dict(request.query_params)
    if request.method == "POST":
        fields = await confirmed(request)
        try:
            new_id = UUID(fields["new_flow_id"]) if fields.get("new_flow_id", "").strip() else None
        except ValueError:
            problem = views.Problem("Not a flow id", ["The new flow id must be a UUID (or empty for a new one).",
                                                      "Nothing was changed."])
        else:
            try:
                forked = await store.fork(flow_id, int(fields["version"]), new_id)
            except StateError as exc:
                problem = views.describe_error(exc)
            else:
                done = urlencode({"done": f"Forked from flow {flow_id} at version {fields['version']}."})
                return RedirectResponse(f"/flows/{forked.flow_id}?{done}", 303)
    doc = await current(request, flow_id)
    version = int(fields.get("version") or doc.flow_version)
    return page(request, "fork.html", 409 if problem else 200, doc=doc, version=version, problem=problem,
                new_flow_id=fields.get("new_flow_id", ""))


async def delete(request: Request) -> Response:
    """Erase a flow with a reason (flow_delete); the tombstone is shown."""
    if not inspector(request).allow_actions:
        return read_only(request)
    flow_id = flow_id_of(request)
    store = inspector(request).store
    problem, reason = None, ""
    if request.method == "POST":
        fields = await confirmed(request)
        reason = fields.get("reason", "")
        try:
            tombstone = await store.delete(flow_id, reason)
        except StateError as exc:
            problem = views.describe_error(exc)
        else:
            return page(request, "deleted.html", tombstone=tombstone)
    doc = await current(request, flow_id)
    return page(request, "delete.html", 409 if problem else 200, doc=doc, problem=problem, reason=reason)


# -- errors -------------------------------------------------------------------------------


async def http_error(request: Request, exc: HTTPException) -> Response:
    titles = {403: "Forbidden", 404: "Not found", 400: "Bad request"}
    return page(request, "error.html", exc.status_code, title=titles.get(exc.status_code, "Error"),
                sentences=[exc.detail])


async def state_error(request: Request, exc: StateError) -> Response:
    problem = views.describe_error(exc)
    return page(request, "error.html", 400, title=problem.title, sentences=problem.sentences,
                sqlstate=problem.sqlstate)


ROUTES = [
    Route("/", overview),
    Route("/go", go),
    Route("/flows", flows),
    Route("/flows/{flow_id}", flow),
    Route("/flows/{flow_id}/versions/{version:int}", version),
    Route("/flows/{flow_id}/diff", diff),
    Route("/flows/{flow_id}/legacy", legacy),
    Route("/flows/{flow_id}/recover", recover, methods=["GET", "POST"]),
    Route("/flows/{flow_id}/fork", fork, methods=["GET", "POST"]),
    Route("/flows/{flow_id}/delete", delete, methods=["GET", "POST"]),
]
EXCEPTION_HANDLERS = {HTTPException: http_error, StateError: state_error}
