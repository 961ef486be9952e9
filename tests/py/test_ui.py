"""`pgflowstate ui`, started as a user starts it (a subprocess), driven by headless Chromium
(Debian's chromium and chromium-driver, through selenium) on flows made through the wrapper.

Two inspectors per module: one read-only across tenants (the admin DSN), one acting as the
story's tenant with --allow-actions (the application role). One browser for the module.
Screenshots of every page: tests/output/screens/ (ignored by git).
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import asyncpg
import pytest
import pytest_asyncio
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from crewai_sqlite import LegacyWriter
from flowdocs import new_context, new_doc
from pgflowstate import ConcurrentModificationError, FlowStateStore, RequestContext, StateMigrator, create_pool

SCREENS = Path(__file__).resolve().parents[1] / "output" / "screens"
PHONE = (390, 844)
CREWAI_ID = "pump-research-1"  # a CrewAI flow id that is not a UUID
DESKTOP = (1280, 900)


# -- the flows ----------------------------------------------------------------------------


@dataclass
class Story:
    context: RequestContext
    flow_id: uuid.UUID  # saves, a conflict, checkpoints, a failure and recovery, a corruption handled
    checkpoint_id: uuid.UUID
    imported_id: uuid.UUID  # from CrewAI's SQLite, paused for feedback
    bare_id: uuid.UUID  # no checkpoints: recovery has nothing to restore
    spare_id: uuid.UUID  # for the actions that change a flow
    foreign_id: uuid.UUID  # another tenant's


async def corrupt(admin_dsn: str, flow_id: uuid.UUID) -> None:
    """A DBA's direct UPDATE that breaks the phase rules."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute("update flowstate.flows set current_phase = 'no_such_phase' where flow_id = $1", flow_id)
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="module")
async def story(app_pool, admin_dsn, app_dsn, tmp_path_factory) -> Story:
    context = new_context()
    store = FlowStateStore(app_pool, context)
    flow_id = uuid.uuid4()
    v1 = await store.save_state(flow_id, new_doc(flow_id, data_import={"rows": 1240, "source": "cmdb.csv"}))
    await store.create_checkpoint(flow_id, label="import done")
    v2 = await store.save_state(flow_id, {**v1.document(), "current_phase": "field_mapping",
                                          "phases_completed": ["data_import"],
                                          "state_data": {**v1.state_data, "field_mapping": {"mappings": {"host": "asset"}}}},
                                version=v1.flow_version)
    with pytest.raises(ConcurrentModificationError):  # a second agent's write on version 1: refused
        await store.save_state(flow_id, v1.document(), version=v1.flow_version)
    v3 = await store.save_state(flow_id, {**v2.document(), "state_data": {
        **v2.state_data, "field_mapping": {"mappings": {"host": "asset", "ip": "ip_address"},
                                           "confidence_scores": {"host": 0.99, "ip": 0.97}}}},
        version=v2.flow_version)
    checkpoint_id = await store.create_checkpoint(flow_id, label="mapping done")
    await store.transition_phase(flow_id, "failed", version=v3.flow_version)
    await store.recover_failed(flow_id)
    await corrupt(admin_dsn, flow_id)
    await store.handle_corrupted(flow_id)
    await store.recover_from_checkpoint(flow_id, checkpoint_id)

    writer = LegacyWriter(tmp_path_factory.mktemp("crewai") / "flow_states.db")
    writer.save_state(CREWAI_ID, "start", {"id": CREWAI_ID, "topic": "pumps"}, at="2024-05-01T09:00:00+00:00")
    writer.save_state(CREWAI_ID, "research", {"id": CREWAI_ID, "topic": "pumps", "notes": ["a"]},
                      at="2024-05-01T09:05:00+00:00")
    writer.save_pending_feedback(CREWAI_ID, {"method_name": "review", "message": "Approve the notes?"},
                                 {"id": CREWAI_ID, "topic": "pumps", "notes": ["a", "b"]})
    writer.close()
    assert (await StateMigrator(app_dsn, context).migrate(writer.path)).ok
    imported_id = await app_pool.fetchval("select flowstate.flow_id_for($1, $2)", CREWAI_ID,
                                          json.dumps(context.jsonb()))

    bare_id, spare_id = uuid.uuid4(), uuid.uuid4()
    await store.save_state(bare_id, {**new_doc(bare_id), "metadata": {"team": "blue"}})
    spare = await store.save_state(spare_id, new_doc(spare_id, step=1))
    await store.create_checkpoint(spare_id, label="first")
    await store.save_state(spare_id, {**spare.document(), "state_data": {"step": 2}}, version=spare.flow_version)

    foreign_id = uuid.uuid4()
    await FlowStateStore(app_pool, new_context()).save_state(foreign_id, new_doc(foreign_id))
    return Story(context, flow_id, checkpoint_id, imported_id, bare_id, spare_id, foreign_id)


@pytest.fixture
def store(app_pool, story) -> FlowStateStore:
    return FlowStateStore(app_pool, story.context)


# -- the inspectors and the browser ---------------------------------------------------------


class Inspector:
    """`pgflowstate ui` in a subprocess; ``url`` is the one it printed (with its token)."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "pgflowstate", "ui", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("pgflowstate ui: http://"):
            self.process.kill()
            raise AssertionError(f"pgflowstate ui did not start: {line}{self.process.stderr.read()}")
        self.url = line.split(": ", 1)[1].strip()
        parts = urlsplit(self.url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.port = parts.port
        self.token = parts.query.split("token=", 1)[1]

    def close(self) -> None:
        self.process.send_signal(signal.SIGINT)  # as Ctrl-C
        try:
            assert self.process.wait(timeout=15) == 0, self.process.stderr.read()
        finally:
            if self.process.poll() is None:
                self.process.kill()


def tenant_args(context: RequestContext) -> list[str]:
    return ["--client-account-id", str(context.client_account_id), "--engagement-id",
            str(context.engagement_id), "--user-id", str(context.user_id)]


@pytest.fixture(scope="module")
def read_only(admin_dsn, story):
    inspector = Inspector("--dsn", admin_dsn)
    yield inspector
    inspector.close()


@pytest.fixture(scope="module")
def actions(app_dsn, story):
    inspector = Inspector("--dsn", app_dsn, "--allow-actions", *tenant_args(story.context))
    yield inspector
    inspector.close()


@pytest.fixture(scope="module")
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "the browser tests need Debian's chromium and chromium-driver (see README)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver), options=options)
    SCREENS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def visit(browser, inspector: Inspector, path: str) -> None:
    """Open ``path``, logging in with the token first if this browser has no cookie yet."""
    if not any(c["name"].startswith("pgflowstate_ui_") and urlsplit(browser.current_url).port == inspector.port
               for c in browser.get_cookies()):
        browser.get(inspector.url)
    browser.get(inspector.base + path)


def screenshot(browser, name: str, size: tuple[int, int] = DESKTOP, full: bool = True) -> Path:
    """The page as it looks at ``size`` (whole page high when ``full``)."""
    browser.set_window_size(*size)
    if full:
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(size[0], min(max(height + 140, size[1]), 8000))
    path = SCREENS / f"{name}.png"
    browser.save_screenshot(str(path))
    browser.set_window_size(*DESKTOP)
    return path


def texts(browser, selector: str) -> list[str]:
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, selector)]


def wait_for_path(browser, path: str) -> None:
    WebDriverWait(browser, 15).until(lambda b: urlsplit(b.current_url).path == path)


def follow(browser, link_text: str) -> None:
    """Click a link and wait until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.LINK_TEXT, link_text).click()
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(page))


def alert_text(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, "[role=alert]").text


# -- plain HTTP: the token ----------------------------------------------------------------


def request(inspector: Inspector, method: str, path: str, headers: dict | None = None, body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", inspector.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def login_cookie(inspector: Inspector) -> str:
    status, headers, _ = request(inspector, "GET", f"/?token={inspector.token}")
    assert status == 303
    return headers["set-cookie"].split(";", 1)[0]


def test_every_request_without_the_token_is_refused(read_only, story):
    flow = f"/flows/{story.flow_id}"
    for path in ("/", flow, f"{flow}/diff", "/static/style.css", f"/?token={read_only.token}x", "/?token="):
        status, _, body = request(read_only, "GET", path)
        assert status == 403, path
        assert story.context.client_account_id.hex not in body
    name = login_cookie(read_only).split("=", 1)[0]
    assert request(read_only, "GET", flow, {"Cookie": f"{name}=wrong"})[0] == 403
    assert request(read_only, "GET", flow, {"Cookie": f"pgflowstate_ui_other={read_only.token}"})[0] == 403


def test_the_token_in_the_url_becomes_a_cookie_and_leaves_the_url(read_only, story):
    status, headers, _ = request(read_only, "GET", f"/flows/{story.flow_id}?token={read_only.token}&x=1")
    assert status == 303
    assert headers["location"] == f"/flows/{story.flow_id}?x=1"
    cookie = headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    status, headers, _ = request(read_only, "GET", f"/flows/{story.flow_id}", {"Cookie": login_cookie(read_only)})
    assert status == 200
    assert "frame-ancestors 'none'" in headers["content-security-policy"] and headers["referrer-policy"] == "no-referrer"


def test_the_inspector_listens_on_the_loopback_address_only(read_only):
    assert urlsplit(read_only.url).hostname == "127.0.0.1"


def test_a_port_in_use_is_a_usage_error(admin_dsn):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        result = subprocess.run([sys.executable, "-m", "pgflowstate", "ui", "--dsn", admin_dsn, "--port",
                                 str(taken.getsockname()[1])], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("pgflowstate: error: cannot listen on 127.0.0.1:") and "Traceback" not in result.stderr


def test_an_unreachable_database_or_one_without_the_schema_is_one_line(fresh_database):
    for dsn, expected in (("postgresql://postgres@127.0.0.1:1/nowhere", "cannot connect to 127.0.0.1:1/nowhere"),
                          (fresh_database(migrated=False), "no flowstate schema in")):
        result = subprocess.run([sys.executable, "-m", "pgflowstate", "ui", "--dsn", dsn],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode in (1, 2) and "Traceback" not in result.stderr
        assert result.stdout == "" and expected in result.stderr  # no URL printed


# -- reading, in the browser --------------------------------------------------------------


def test_the_browser_without_the_token_gets_403(browser, read_only, story):
    browser.delete_all_cookies()
    browser.get(f"{read_only.base}/flows/{story.flow_id}")
    assert "403" in browser.title and "no token" in browser.page_source
    assert str(story.context.client_account_id) not in browser.page_source
    screenshot(browser, "forbidden_without_token")


async def test_the_header_box_opens_a_flow_by_id(browser, read_only, story):
    visit(browser, read_only, "/")
    field = browser.find_element(By.ID, "open-flow")
    field.send_keys(str(story.flow_id), Keys.ENTER)
    wait_for_path(browser, f"/flows/{story.flow_id}")
    assert str(story.flow_id) in browser.find_element(By.TAG_NAME, "h1").text


async def test_the_timeline_shows_every_audit_entry(browser, read_only, story, store):
    history = await store.history(story.flow_id)
    visit(browser, read_only, f"/flows/{story.flow_id}")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.timeline tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, ".op").text for r in rows] == [h.operation for h in history]
    assert [h.operation for h in history] == [
        "create", "checkpoint", "save", "save", "checkpoint", "transition", "recover", "admin_update",
        "archive", "reset", "recover"]
    failed = rows[5].text
    assert "field_mapping → failed" in failed and f"{history[5].old_version} → v{history[5].new_version}" in failed
    assert str(story.checkpoint_id)[:8] in rows[4].text  # a checkpoint's label: its id
    assert texts(browser, "#phases-h") == ["Phases over time"]
    lanes = texts(browser, ".lane-name")
    assert lanes[:3] == ["data_import", "field_mapping", "failed"] and "no_such_phase" in lanes
    screenshot(browser, "flow_timeline")


async def test_a_long_timeline_comes_in_pages(browser, read_only, story, store):
    every = [h.operation for h in await store.history(story.flow_id)]
    visit(browser, read_only, f"/flows/{story.flow_id}?events=4")
    shown = texts(browser, "table.timeline tbody .op")
    while browser.find_elements(By.LINK_TEXT, "Later events"):
        follow(browser, "Later events")
        assert len(texts(browser, "table.timeline tbody .op")) <= 4
        shown += texts(browser, "table.timeline tbody .op")
    assert shown == every  # the archive and reset share one instant: neither lost nor repeated


async def test_quarantine_shows_the_archived_version_and_why(browser, read_only, story, store):
    archive = (await store.history(story.flow_id, operation="archive"))[0]
    visit(browser, read_only, f"/flows/{story.flow_id}")
    record = browser.find_element(By.CSS_SELECTOR, "li.quarantine").text
    assert f"v{archive.new_version} archived" in record and archive.label[:8] in record
    assert "no_such_phase" in record  # the reason: what validation finds in that version


async def test_checkpoints_are_listed_with_their_labels(browser, read_only, story, store):
    doc = await store.load_state(story.flow_id)
    visit(browser, read_only, f"/flows/{story.flow_id}")
    listed = texts(browser, "li.checkpoint")
    assert len(listed) == len(doc.checkpoints)
    assert any("mapping done" in c and str(story.checkpoint_id)[:8] in c for c in listed)


async def test_older_checkpoints_are_a_page_away(browser, read_only, store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    for i in range(23):
        await store.create_checkpoint(flow_id, label=f"cp {i}")
    visit(browser, read_only, f"/flows/{flow_id}")
    assert len(texts(browser, "li.checkpoint")) == 20 and "cp 22" in texts(browser, "li.checkpoint")[0]
    follow(browser, "Older checkpoints")
    assert [re.search(r"cp \d+", t)[0] for t in texts(browser, "li.checkpoint")] == ["cp 2", "cp 1", "cp 0"]
    assert browser.find_elements(By.LINK_TEXT, "Older checkpoints") == []


async def test_picking_two_versions_shows_the_diff_between_them(browser, read_only, story, store):
    visit(browser, read_only, f"/flows/{story.flow_id}")
    browser.find_element(By.CSS_SELECTOR, "input[name=from][value='2']").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=to][value='3']").click()
    browser.find_element(By.CSS_SELECTOR, ".timeline-form > button[type=submit]").click()
    wait_for_path(browser, f"/flows/{story.flow_id}/diff")
    expected = await store.diff(story.flow_id, 2, 3)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.diff tbody tr")
    shown = [(r.find_element(By.TAG_NAME, "th").text, r.get_attribute("class")) for r in rows]
    assert shown == [(".".join(e.path), e.change) for e in expected]
    assert ("state_data.field_mapping.confidence_scores", "added") in shown
    assert "2 changed paths" in browser.find_element(By.TAG_NAME, "h2").text
    screenshot(browser, "diff_v2_v3")


async def test_the_diff_page_says_when_a_version_does_not_exist(browser, read_only, story):
    visit(browser, read_only, f"/flows/{story.flow_id}/diff?from=1&to=999")
    assert "no version 999" in alert_text(browser)


async def test_the_state_at_a_version_is_a_collapsible_tree(browser, read_only, story, store):
    then = await store.state_at(story.flow_id, 2)
    visit(browser, read_only, f"/flows/{story.flow_id}/versions/2")
    tree = browser.find_element(By.ID, "state-tree")
    assert then.current_phase == "field_mapping" and '"field_mapping"' in tree.text
    assert '"confidence_scores"' not in tree.text and "confidence_scores" not in tree.text  # not yet at v2
    node = tree.find_element(By.XPATH, ".//details[summary/span[@class='k' and text()='field_mapping']]")
    assert node.get_attribute("open") is None and '"asset"' not in tree.text  # deeper levels start closed
    node.find_element(By.TAG_NAME, "summary").click()
    assert node.get_attribute("open") is not None and "mappings" in node.text
    screenshot(browser, "state_at_v2")


async def test_an_imported_flow_shows_its_legacy_steps_and_pending_feedback(browser, read_only, story):
    visit(browser, read_only, f"/flows/{story.imported_id}")
    legacy = browser.find_elements(By.CSS_SELECTOR, "table.timeline tr.legacy")
    assert [r.find_element(By.CSS_SELECTOR, ".op").text for r in legacy] == ["start", "research", "review"]
    assert "2024-05-01T09:05:00+00:00" in legacy[1].text  # the original timestamp, as CrewAI wrote it
    assert "import" in texts(browser, "table.timeline tr:not(.legacy) .op")
    feedback = browser.find_element(By.CSS_SELECTOR, "[aria-labelledby=feedback-h]").text
    assert "Paused for human feedback" in feedback and "Approve the notes?" in feedback
    screenshot(browser, "flow_imported")
    legacy[0].find_element(By.CSS_SELECTOR, "td.label a").click()
    wait_for_path(browser, f"/flows/{story.imported_id}/legacy")
    assert texts(browser, "ol.legacy > li > p > b") == ["start", "research", "review"]
    screenshot(browser, "legacy_history")


async def test_another_tenants_flow_is_not_found(browser, actions, story):
    visit(browser, actions, f"/flows/{story.foreign_id}")
    assert browser.title.startswith("Not found")
    assert "Not found" in alert_text(browser)


# -- actions ------------------------------------------------------------------------------


async def test_actions_are_refused_without_allow_actions(browser, read_only, story, store):
    before = await store.load_state(story.spare_id)
    visit(browser, read_only, f"/flows/{story.spare_id}")
    assert browser.find_elements(By.PARTIAL_LINK_TEXT, "Recover") == []
    visit(browser, read_only, f"/flows/{story.spare_id}/recover")
    assert "--allow-actions" in alert_text(browser)
    screenshot(browser, "actions_refused_read_only")
    cookie = login_cookie(read_only)
    status, _, _ = request(read_only, "POST", f"/flows/{story.spare_id}/recover",
                           {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
                           urlencode({"checkpoint": "", "expected_version": before.flow_version}))
    assert status == 403
    assert await store.load_state(story.spare_id) == before


async def test_a_post_without_the_csrf_token_is_refused(actions, story, store):
    before = await store.load_state(story.spare_id)
    for csrf in ("", "wrong"):
        status, _, body = request(actions, "POST", f"/flows/{story.spare_id}/recover",
                                  {"Cookie": login_cookie(actions), "Content-Type": "application/x-www-form-urlencoded"},
                                  urlencode({"csrf": csrf, "checkpoint": "", "expected_version": before.flow_version}))
        assert status == 403 and "CSRF" in body
    assert await store.load_state(story.spare_id) == before


async def test_a_stale_action_shows_fs002_and_changes_nothing(browser, actions, story, store):
    doc = await store.load_state(story.spare_id)
    checkpoint = doc.checkpoints[0].id
    visit(browser, actions, f"/flows/{story.spare_id}")
    browser.find_element(By.CSS_SELECTOR, f"a[href$='recover?checkpoint={checkpoint}']").click()
    wait_for_path(browser, f"/flows/{story.spare_id}/recover")
    screenshot(browser, "recover_confirm")
    moved = await store.save_state(story.spare_id, {**doc.document(), "state_data": {"step": 3}},
                                   version=doc.flow_version)  # someone else, meanwhile
    browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
    message = alert_text(browser)
    assert "FS002" in message
    assert f"You acted on version {doc.flow_version}; the flow is now at version {moved.flow_version}." in message
    assert await store.load_state(story.spare_id) == moved
    assert [h.operation for h in await store.history(story.spare_id)][-1] == "save"
    screenshot(browser, "recover_refused_fs002")


async def test_recovering_from_a_checkpoint_after_confirming(browser, actions, story, store):
    before = await store.load_state(story.spare_id)
    checkpoint = before.checkpoints[0]
    visit(browser, actions, f"/flows/{story.spare_id}/recover?checkpoint={checkpoint.id}")
    assert f"since version {before.flow_version}" in browser.find_element(By.TAG_NAME, "main").text
    browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
    wait_for_path(browser, f"/flows/{story.spare_id}")
    after = await store.load_state(story.spare_id)
    assert (after.flow_version, after.status, after.state_data) == (before.flow_version + 1, "recovered", {"step": 1})
    assert f"Recovered: version {after.flow_version}" in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    screenshot(browser, "recover_done")


async def test_recover_failed_without_a_checkpoint_shows_fs006_and_changes_nothing(browser, actions, story, store):
    before = await store.load_state(story.bare_id)
    visit(browser, actions, f"/flows/{story.bare_id}/recover")
    browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
    message = alert_text(browser)
    assert "FS006" in message and "The flow has no checkpoints." in message
    assert await store.load_state(story.bare_id) == before
    screenshot(browser, "recover_refused_fs006")


# -- overview, flows list, fork and delete (the lifecycle functions) ----------------------


async def test_the_overview_charts_the_counts_and_calls_out_failed_and_paused(browser, actions, store):
    counts = await store.counts()
    visit(browser, actions, "/")
    by_status = {}
    for row in counts:
        by_status[row.status] = by_status.get(row.status, 0) + row.flows
    shown = {li.find_element(By.TAG_NAME, "a").text: int(li.find_element(By.CSS_SELECTOR, ".n").text)
             for li in browser.find_elements(By.CSS_SELECTOR, "[aria-labelledby=by-status] .bars li")}
    assert shown == by_status and by_status.get("paused") == 1
    callouts = texts(browser, ".callout")
    assert f"{sum(by_status.values())}\nflows" in callouts and "1\npaused for feedback" in callouts
    phases = texts(browser, "[aria-labelledby=by-phase] .bars li a")
    assert set(phases) == {row.current_phase for row in counts}
    newest = (await store.search(limit=10)).flows
    assert texts(browser, "table.flows tbody td:first-child code") == [str(f.flow_id) for f in newest]
    screenshot(browser, "overview")
    browser.find_element(By.LINK_TEXT, "paused").click()
    wait_for_path(browser, "/flows")
    assert "status=paused" in browser.current_url


async def test_the_overview_charts_activity_over_time_and_calls_out_quarantined(browser, actions, story, store):
    for _ in range(2):  # an hour may turn between reading and rendering: then once more
        activity = await store.activity()
        visit(browser, actions, "/")
        if await store.activity() == activity:
            break
    assert activity.quarantined.flows == 1  # the story's flow, corrupted and handled
    columns = browser.find_elements(By.CSS_SELECTOR, "ol.columns li")
    assert [int(c.find_element(By.CSS_SELECTOR, ".n").text) for c in columns] == [b.writes for b in activity.buckets]
    assert len(columns) == 25 and activity.buckets[-1].writes > 0
    heights = [float(c.find_element(By.CSS_SELECTOR, ".column").value_of_css_property("height")[:-2]) for c in columns]
    busiest = max(range(len(columns)), key=lambda i: activity.buckets[i].writes)
    assert heights[busiest] == max(heights) > 0
    assert "1\nquarantined" in texts(browser, ".callout")
    assert browser.find_element(By.ID, "quarantined-count").text == "1"
    screenshot(browser, "overview_activity")

    columns[-1].find_element(By.TAG_NAME, "a").click()  # this hour: the flows last written in it
    wait_for_path(browser, "/flows")
    query = dict(pair.split("=", 1) for pair in urlsplit(browser.current_url).query.split("&"))
    assert set(query) == {"updated_after", "updated_before"}
    field = browser.find_element(By.ID, "f-updated-after").get_attribute("value")
    listed = (await store.search(updated_after=datetime.fromisoformat(field),
                                 updated_before=datetime.fromisoformat(
                                     browser.find_element(By.ID, "f-updated-before").get_attribute("value")))).flows
    assert texts(browser, "table.flows tbody td:first-child code") == [str(f.flow_id) for f in listed]
    screenshot(browser, "flows_of_an_hour")

    visit(browser, actions, "/")
    browser.find_element(By.CSS_SELECTOR, ".callout.quarantined a").click()  # the count lists its flows
    wait_for_path(browser, "/flows")
    assert urlsplit(browser.current_url).query == "quarantined=true"
    assert browser.find_element(By.CSS_SELECTOR, "#f-quarantined option:checked").text == "quarantined"
    assert texts(browser, "table.flows tbody td:first-child code") == [str(story.flow_id)]
    assert [str(f.flow_id) for f in (await store.search(quarantined=True)).flows] == [str(story.flow_id)]
    screenshot(browser, "flows_quarantined")

    visit(browser, actions, "/")
    section = browser.find_element(By.CSS_SELECTOR, "[aria-labelledby=quarantined-h]")
    assert "1 quarantined document of 1 flow" in section.text
    follow(browser, str(story.flow_id))
    wait_for_path(browser, f"/flows/{story.flow_id}")
    assert browser.find_element(By.CSS_SELECTOR, "li.quarantine").is_displayed()


async def test_the_flows_list_filters_by_status_metadata_and_crewai_id(browser, actions, story, store):
    visit(browser, actions, "/flows")
    browser.find_element(By.ID, "f-status").send_keys("recovered")
    browser.find_element(By.ID, "f-status").submit()
    WebDriverWait(browser, 15).until(lambda b: "status=recovered" in b.current_url)
    expected = (await store.search(status="recovered")).flows
    assert texts(browser, "table.flows tbody td:first-child code") == [str(f.flow_id) for f in expected]
    assert str(story.flow_id) in texts(browser, "table.flows tbody td:first-child code")
    screenshot(browser, "flows_filtered")
    visit(browser, actions, "/flows?" + urlencode({"metadata": '{"team": "blue"}'}))
    assert texts(browser, "table.flows tbody td:first-child code") == [str(story.bare_id)]
    visit(browser, actions, "/")
    browser.find_element(By.ID, "open-flow").send_keys(CREWAI_ID, Keys.ENTER)  # the box takes a CrewAI id
    wait_for_path(browser, f"/flows/{story.imported_id}")


async def test_the_flows_list_filters_crewai_flows_by_class_and_finished(browser, actions, store):
    ids = []
    for crewai_class, finished in (("ReportFlow", False), ("ReportFlow", True), ("OtherFlow", False)):
        flow_id = uuid.uuid4()
        metadata = {"crewai_class": crewai_class, "crewai_finished": finished}
        await store.save_state(flow_id, {**new_doc(flow_id), "metadata": metadata})
        ids.append(str(flow_id))
    visit(browser, actions, "/flows?" + urlencode({"crewai_class": "ReportFlow", "crewai_finished": "unfinished"}))
    assert texts(browser, "table.flows tbody td:first-child code") == [ids[0]]
    assert browser.find_element(By.ID, "f-crewai-class").get_attribute("value") == "ReportFlow"
    visit(browser, actions, "/flows?" + urlencode({"crewai_class": "ReportFlow", "crewai_finished": "finished"}))
    assert texts(browser, "table.flows tbody td:first-child code") == [ids[1]]
    visit(browser, actions, "/flows?crewai_finished=maybe")
    assert "CrewAI run must be finished or unfinished" in alert_text(browser)


async def test_the_flows_list_pages_with_next_links(browser, actions, store):
    every = []
    after = None
    while True:
        found = await store.search(after=after, limit=2)
        every += [str(f.flow_id) for f in found.flows]
        if found.next is None:
            break
        after = found.next
    visit(browser, actions, "/flows?limit=2")
    shown = texts(browser, "table.flows tbody td:first-child code")
    while browser.find_elements(By.LINK_TEXT, "Next page"):
        follow(browser, "Next page")
        shown += texts(browser, "table.flows tbody td:first-child code")
    assert shown == every and len(every) >= 5


async def test_a_refused_search_says_why(browser, actions):
    visit(browser, actions, "/flows?" + urlencode({"status": "bogus"}))
    assert "Filter status must be one of running, paused, recovered, completed, failed." in alert_text(browser)
    visit(browser, actions, "/flows?metadata=%7Bnot+json")
    assert "metadata must be a JSON object" in alert_text(browser)


async def test_forking_at_a_version_after_confirming(browser, actions, story, store):
    then = await store.state_at(story.flow_id, 2)
    visit(browser, actions, f"/flows/{story.flow_id}/versions/2")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Fork at version 2").click()
    wait_for_path(browser, f"/flows/{story.flow_id}/fork")
    screenshot(browser, "fork_confirm")
    browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda b: "done=" in b.current_url)
    forked_id = uuid.UUID(urlsplit(browser.current_url).path.split("/")[2])
    forked = await store.load_state(forked_id)
    assert (forked.flow_version, forked.current_phase, forked.state_data) == (1, then.current_phase, then.state_data)
    assert "forked from" in browser.find_element(By.CSS_SELECTOR, ".facts").text
    screenshot(browser, "fork_done")


async def test_forking_onto_a_taken_id_shows_fs005_and_creates_nothing(browser, actions, story, store):
    before = await store.load_state(story.bare_id)
    visit(browser, actions, f"/flows/{story.flow_id}/fork?version=1")
    browser.find_element(By.ID, "fork-id").send_keys(str(story.bare_id))
    browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
    assert "FS005" in alert_text(browser)
    assert await store.load_state(story.bare_id) == before


async def test_deleting_a_flow_needs_a_reason_then_leaves_a_tombstone(browser, actions, store):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    visit(browser, actions, f"/flows/{flow_id}")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Delete this flow").click()
    wait_for_path(browser, f"/flows/{flow_id}/delete")
    screenshot(browser, "delete_confirm")
    reason = browser.find_element(By.ID, "delete-reason")
    reason.send_keys(" ")  # blank: the function refuses it
    browser.execute_script("arguments[0].removeAttribute('required')", reason)
    browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
    assert "FS001" in alert_text(browser)
    assert await store.load_state(flow_id) is not None
    reason = browser.find_element(By.ID, "delete-reason")
    reason.clear()
    reason.send_keys("test data, asked by its owner")
    browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=status]")))
    assert f"Flow {flow_id} was deleted." in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "test data, asked by its owner" in browser.find_element(By.TAG_NAME, "main").text
    assert await store.load_state(flow_id) is None
    screenshot(browser, "delete_done")


# -- keyboard and phone -------------------------------------------------------------------


def test_the_keyboard_reaches_the_content_with_a_visible_focus(browser, read_only, story):
    visit(browser, read_only, f"/flows/{story.flow_id}")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "Skip to content"
    assert browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", skip) != "none"
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"
    for _ in range(4):  # on to the tabs and the first version link, all real links
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.tag_name in ("a", "input", "button", "summary")
    screenshot(browser, "keyboard_focus", full=False)


def test_pages_fit_a_phone_without_sideways_scrolling(browser, read_only, story):
    pages = {"flow": f"/flows/{story.flow_id}", "diff": f"/flows/{story.flow_id}/diff?from=1&to=3",
             "state": f"/flows/{story.flow_id}/versions/3", "overview": "/"}
    try:
        for name, path in pages.items():
            browser.set_window_size(*PHONE)
            visit(browser, read_only, path)
            widths = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], (name, widths)
            screenshot(browser, f"phone_{name}", PHONE, full=False)
    finally:
        browser.set_window_size(*DESKTOP)



# -- the demo, as a newcomer sees it ------------------------------------------------------


async def test_the_demo_flow_shows_its_story_a_diff_and_an_action_done_and_refused(browser, fresh_database):
    """`pgflowstate demo` into a fresh database, then `pgflowstate ui --allow-actions` on it as
    the demo's tenant: the flow's timeline (the two agents' saves around the conflict, the
    crash, the quarantine and both recoveries), the diff of what the two agents changed, a fork
    done and a stale recovery refused (FS002, nothing changed)."""
    dsn = fresh_database()
    demo = subprocess.run([sys.executable, "-m", "pgflowstate", "demo", "--dsn", dsn], capture_output=True,
                          text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    flow_id = uuid.UUID(re.search(r"^   flow ([0-9a-f-]{36})$", demo.stdout, re.M)[1])
    tenant = re.search(r"tenant: client account (\S+), engagement (\S+), user (\S+)$", demo.stdout, re.M)
    context = RequestContext(client_account_id=tenant[1], engagement_id=tenant[2], user_id=tenant[3])
    before_writers, merged = map(int, re.search(r"flow_diff v(\d+) -> v(\d+)", demo.stdout).groups())
    pool = await create_pool(dsn, min_size=1, max_size=2)
    inspector = Inspector("--dsn", dsn, "--allow-actions", *tenant_args(context))
    try:
        store = FlowStateStore(pool, context)
        visit(browser, inspector, "/")
        assert texts(browser, "table.flows tbody td:first-child code") == [str(flow_id)]
        assert browser.find_element(By.ID, "quarantined-count").text == "1"
        assert sum(int(n) for n in texts(browser, "ol.columns .n")) == len(
            [h for h in await store.history(flow_id) if h.operation != "archive"])
        screenshot(browser, "demo_overview")

        follow(browser, str(flow_id))
        history = await store.history(flow_id)
        rows = browser.find_elements(By.CSS_SELECTOR, "table.timeline tbody tr")
        assert [r.find_element(By.CSS_SELECTOR, ".op").text for r in rows] == [h.operation for h in history]
        by_version = {h.new_version: r.text for h, r in zip(history, rows) if h.operation in ("save", "put")}
        # The conflict: both agents read v{before_writers}; one saved, the other retried on top.
        assert f"{before_writers} → v{before_writers + 1}" in by_version[before_writers + 1]
        assert f"{before_writers + 1} → v{merged}" in by_version[merged]
        crash = [r.text for h, r in zip(history, rows) if h.operation == "transition" and h.new_phase == "failed"]
        assert len(crash) == 1 and "dependency_analysis → failed" in crash[0]
        operations = [h.operation for h in history]
        assert operations.count("recover") == 2 and {"admin_update", "archive", "reset"} <= set(operations)
        assert operations.index("admin_update") < operations.index("archive") < operations.index("reset")
        assert browser.find_element(By.CSS_SELECTOR, "li.quarantine").text  # the archived version and why
        screenshot(browser, "demo_timeline")

        browser.find_element(By.CSS_SELECTOR, f"input[name=from][value='{before_writers}']").click()
        browser.find_element(By.CSS_SELECTOR, f"input[name=to][value='{merged}']").click()
        browser.find_element(By.CSS_SELECTOR, ".timeline-form > button[type=submit]").click()
        wait_for_path(browser, f"/flows/{flow_id}/diff")
        shown = [(r.find_element(By.TAG_NAME, "th").text, r.get_attribute("class"))
                 for r in browser.find_elements(By.CSS_SELECTOR, "table.diff tbody tr")]
        assert shown == [(".".join(e.path), e.change) for e in await store.diff(flow_id, before_writers, merged)]
        assert ("state_data.field_mapping.review", "added") in shown  # the reviewer's change
        assert ("state_data.field_mapping.unmapped", "changed") in shown  # and the mapping agent's
        screenshot(browser, "demo_diff")

        visit(browser, inspector, f"/flows/{flow_id}/fork?version={before_writers}")
        browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
        WebDriverWait(browser, 15).until(lambda b: "done=" in b.current_url)
        forked = await store.load_state(uuid.UUID(urlsplit(browser.current_url).path.split("/")[2]))
        then = await store.state_at(flow_id, before_writers)
        assert (forked.flow_version, forked.state_data) == (1, then.state_data)
        screenshot(browser, "demo_fork_done")

        doc = await store.load_state(flow_id)
        first = doc.checkpoints[0].id
        visit(browser, inspector, f"/flows/{flow_id}/recover?checkpoint={first}")
        moved = await store.recover_from_checkpoint(flow_id, doc.checkpoints[-1].id)  # another operator, meanwhile
        browser.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
        WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]")))
        assert "FS002" in alert_text(browser)
        assert f"You acted on version {doc.flow_version}; the flow is now at version {moved.flow_version}." in alert_text(browser)
        assert await store.load_state(flow_id) == moved
        screenshot(browser, "demo_recover_refused_fs002")
    finally:
        inspector.close()
        await pool.close()
