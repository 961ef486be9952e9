"""StateMigrator and `pgflowstate migrate-sqlite` against the real server (CrewAI-format SQLite
files written by tests/py/crewai_sqlite.py; test_migrator_crewai.py uses crewai itself)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from crewai_sqlite import LegacyWriter, random_history, rows_of

from pgflowstate import RequestContext
from pgflowstate.cli import main
from pgflowstate.codec import EXACT_KEY, restore
from pgflowstate.migrator import SourceError, StateMigrator, content_hash, default_path

TABLES = ("flows", "audit_log", "legacy_rows", "legacy_pending_feedback", "migration_ledger", "pending_feedback")


def new_context() -> RequestContext:
    return RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4())


def migrate(dsn: str, path, context: RequestContext, **options):
    return asyncio.run(StateMigrator(dsn, context, **options).migrate(path))


def verify(dsn: str, path, context: RequestContext):
    return asyncio.run(StateMigrator(dsn, context).verify(path))


def tenant_args(context: RequestContext) -> list[str]:
    return ["--client-account-id", str(context.client_account_id), "--engagement-id", str(context.engagement_id),
            "--user-id", str(context.user_id)]


def cli(dsn: str, *args: str):
    return CliRunner().invoke(main, ["migrate-sqlite", "--dsn", dsn, *args], catch_exceptions=False)


def table_digest(dsn: str) -> dict[str, str]:
    """Count and content digest of every flowstate table: equal digests, nothing changed."""
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '')"
                                f" from flowstate.{t} x").fetchone()[0] for t in TABLES}


def counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"select count(*) from flowstate.{t}").fetchone()[0] for t in TABLES}


def sample_db(path: Path, flows: int = 12, keep_wal: bool = False) -> LegacyWriter:
    """Flows of 1-5 steps named by plain strings and by (random) UUIDs, one paused for
    feedback; flow 3 ends with NaN, flow 4 with a NUL character (values jsonb cannot hold)."""
    writer = LegacyWriter(path, keep_wal=keep_wal)
    writer.ids = [str(uuid.uuid4()) if i % 2 else f"flow-{i}" for i in range(flows)]
    for i, flow_id in enumerate(writer.ids):
        for step, method in enumerate(["start", "research", "write", "research", "finish"][: 1 + i % 5]):
            writer.save_state(flow_id, method, {"id": flow_id, "step": step, "score": float("nan") if i == 3 else 0.5,
                                                "note": "x\x00y" if i == 4 else "é😀", "tags": {"a"}})
    writer.save_pending_feedback("flow-0", {"method_name": "review", "message": "Approve?", "flow_id": "flow-0"},
                                 {"id": "flow-0", "draft": "v1"})
    return writer


def test_migrates_verifies_and_a_second_run_changes_nothing(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    writer = sample_db(tmp_path / "flow_states.db")
    writer.close()
    source_rows = len(rows_of(tmp_path / "flow_states.db"))

    first = cli(dsn, str(tmp_path / "flow_states.db"), "--json", *tenant_args(context))
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert (report["flows_total"], report["rows_total"]) == (12, source_rows)
    assert (report["flows_migrated"], report["rows_migrated"], report["flows_failed"]) == (12, source_rows, 0)
    assert report["verified"] and report["flows_verified"] == 12 and report["differences"] == []
    assert {m["external_id"] for m in report["mapped"]} == {writer.ids[3], "flow-4"}
    after_first = table_digest(dsn)
    assert counts(dsn)["legacy_rows"] == source_rows and counts(dsn)["legacy_pending_feedback"] == 1

    second = cli(dsn, str(tmp_path / "flow_states.db"), *tenant_args(context))
    assert second.exit_code == 0, second.output
    assert re.search(rf"skipped \(already migrated\) +12 +{source_rows}\n", second.output), second.output
    assert "12 flows and" in second.output and "match the source" in second.output
    assert table_digest(dsn) == after_first, "a second run changes nothing, audit trail included"


def test_the_latest_row_is_the_current_state_and_history_is_kept(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    writer = LegacyWriter(tmp_path / "f.db")
    # Same timestamp twice, then one from the past: the highest id is the latest all the same.
    for method, at, value in [("start", "2026-01-01T00:00:00+00:00", 1), ("research", "2026-01-01T00:00:00+00:00", 2),
                              ("write", "2025-01-01T00:00:00+00:00", 3)]:
        writer.save_state("dup-ts", method, {"v": value}, at=at)
    writer.close()
    assert migrate(dsn, tmp_path / "f.db", context).ok
    with psycopg.connect(dsn) as conn:
        flow_id = conn.execute("select flowstate.flow_id_for('dup-ts', %s)", [json.dumps(context.jsonb())]).fetchone()[0]
        state, phase, completed, label, external = conn.execute(
            "select state_data, current_phase, phases_completed, last_label, external_id from flowstate.flows"
            " where flow_id = %s", [flow_id]).fetchone()
        history = conn.execute("select legacy_id, method_name, legacy_timestamp, state from flowstate.flow_legacy_history(%s, %s)",
                               [flow_id, json.dumps(context.jsonb())]).fetchall()
    assert (state, phase, completed, label, external) == ({"v": 3}, "write", ["start", "research"], "write", "dup-ts")
    assert [(h[1], h[2], h[3]) for h in history] == [
        ("start", "2026-01-01T00:00:00+00:00", {"v": 1}), ("research", "2026-01-01T00:00:00+00:00", {"v": 2}),
        ("write", "2025-01-01T00:00:00+00:00", {"v": 3})]


def test_the_source_is_never_touched(fresh_database, tmp_path):
    """Not one file created, changed or touched next to the source, WAL or not."""
    dsn, context = fresh_database(), new_context()

    def listing(directory: Path) -> dict:
        return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.iterdir())}

    (tmp_path / "plain").mkdir()
    sample_db(tmp_path / "plain" / "flow_states.db").close()  # closed: WAL checkpointed, side files gone
    before = listing(tmp_path / "plain")
    assert list(before) == ["flow_states.db"]
    report = migrate(dsn, tmp_path / "plain" / "flow_states.db", context)
    assert report.ok and not report.copied
    assert listing(tmp_path / "plain") == before

    # A writer still open: committed rows sit in the -wal file (immutable=1 alone would miss
    # them, mode=ro would add files): the migrator reads a private copy.
    (tmp_path / "live").mkdir()
    writer = sample_db(tmp_path / "live" / "flow_states.db", flows=5, keep_wal=True)
    writer.save_state("only-in-wal", "start", {"id": "only-in-wal"})
    try:
        before = listing(tmp_path / "live")
        assert {"flow_states.db-wal", "flow_states.db-shm"} <= set(before)
        report = migrate(dsn, tmp_path / "live" / "flow_states.db", new_context())
        assert report.ok and report.copied and report.flows_migrated == 6
        assert listing(tmp_path / "live") == before
    finally:
        writer.close()


def test_dry_run_changes_nothing(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    sample_db(tmp_path / "f.db").close()
    before = table_digest(dsn)
    result = cli(dsn, str(tmp_path / "f.db"), "--dry-run", "--json", *tenant_args(context))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dry_run"] and report["flows_migrated"] == 12 and not report["verified"]
    assert table_digest(dsn) == before
    # ... and what it said would happen is what happens.
    assert migrate(dsn, tmp_path / "f.db", context).flows_migrated == 12


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100, os.urandom(8192)],
                         ids=["empty file", "text", "random bytes"])
def test_a_file_that_is_not_a_crewai_database_is_a_usage_error(fresh_database, tmp_path, content):
    (tmp_path / "f.db").write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "pgflowstate.migrator", str(tmp_path / "f.db"), "--dsn",
                             fresh_database(), *tenant_args(new_context())], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(tmp_path / "f.db") in result.stderr
    assert (tmp_path / "f.db").read_bytes() == content


def test_another_sqlite_database_is_not_crewai(fresh_database, tmp_path):
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("create table flow_states (id integer primary key, name text)")
    conn.commit()
    conn.close()
    result = cli(fresh_database(), str(tmp_path / "other.db"), *tenant_args(new_context()))
    assert result.exit_code == 2
    assert "is not a CrewAI flow-state database" in result.output


def test_a_corrupted_database_fails_with_one_line(fresh_database, tmp_path):
    sample_db(tmp_path / "f.db", flows=40).close()
    data = bytearray((tmp_path / "f.db").read_bytes())
    for offset in range(8192, len(data), 4096):  # scribble over every page but the schema's
        data[offset + 100: offset + 400] = os.urandom(300)
    (tmp_path / "f.db").write_bytes(bytes(data))
    result = subprocess.run([sys.executable, "-m", "pgflowstate.migrator", str(tmp_path / "f.db"), "--dsn",
                             fresh_database(), *tenant_args(new_context())], capture_output=True, text=True)
    assert result.returncode in (1, 2), result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") <= 1
    assert "malformed" in result.stderr or "not a database" in result.stderr or "failed" in result.stdout


def test_an_empty_crewai_database_migrates_nothing(fresh_database, tmp_path):
    LegacyWriter(tmp_path / "f.db").close()
    result = cli(fresh_database(), str(tmp_path / "f.db"), "--json", *tenant_args(new_context()))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["flows_total"], report["rows_total"], report["flows_migrated"]) == (0, 0, 0)
    assert report["verified"] and report["ok"]


def test_a_flow_that_cannot_be_migrated_fails_alone_with_its_reason(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    writer = LegacyWriter(tmp_path / "f.db")
    writer.save_state("good", "start", {"ok": True})
    writer.raw("bad-json", "start", "2026-01-01T00:00:00+00:00", '{"ok": true}')
    writer.raw("bad-json", "write", "2026-01-01T00:00:01+00:00", '{"truncated": ')
    writer.raw("blob", "start", "2026-01-01T00:00:00+00:00", b'{"a": 1}')
    writer.raw("number-time", "start", 1767225600, '{"a": 1}')
    writer.raw("latin1", "start", "2026-01-01T00:00:00+00:00", sqlite3.Binary(b'{"a": "caf\xe9"}'))
    writer.conn.execute("update flow_states set state_json = cast(state_json as text) where flow_uuid = 'latin1'")
    writer.conn.commit()
    writer.raw("deep", "start", "t", "[" * 100 + "]" * 100)
    writer.save_state("good-too", "start", {"ok": True})
    writer.conn.execute("insert into pending_feedback (flow_uuid, context_json, state_json, created_at)"
                        " values ('orphan', '{}', '{}', 'now')")
    writer.conn.commit()
    writer.close()

    result = cli(dsn, str(tmp_path / "f.db"), "--json", *tenant_args(context))
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    reasons = {f["external_id"]: f["reason"] for f in report["failures"]}
    assert set(reasons) == {"bad-json", "blob", "number-time", "latin1", "deep", "orphan"}
    assert reasons["bad-json"].startswith("Legacy row 3: not JSON")
    assert "state_json is blob, not text" in reasons["blob"]
    assert "timestamp is integer, not text" in reasons["number-time"]
    assert "not valid UTF-8" in reasons["latin1"]
    assert "nested deeper than 64 levels" in reasons["deep"]
    assert "pending feedback without any flow_states row" in reasons["orphan"]
    assert report["flows_migrated"] == 2 and report["flows_verified"] == 2 and not report["differences"]
    assert counts(dsn)["migration_ledger"] == 2
    assert "bad-json: Legacy row 3: not JSON" in cli(dsn, str(tmp_path / "f.db"), *tenant_args(context)).output


def test_flows_refused_inside_a_batch_leave_the_others_of_that_batch_migrated(fresh_database, tmp_path):
    """Flows go to the server many per call (flow_import_legacy_batch): a flow the server
    refuses there (a conflict with a flow created in PostgreSQL, a row that is not JSON) is
    reported alone with its reason, and the flows before and after it in the same call are
    imported and verified."""
    dsn, context = fresh_database(), new_context()
    taken = str(uuid.uuid4())
    with psycopg.connect(dsn) as conn:  # a flow created in PostgreSQL under a CrewAI id of the source
        conn.execute("select flowstate.flow_put_state(%s, %s, 'start', %s)",
                     [taken, json.dumps({"flow_id": taken, "flow_type": "crewai", "current_phase": "start",
                                         "phases_completed": [], "state_data": {}}), json.dumps(context.jsonb())])
    before_taken = table_digest(dsn)["flows"]
    writer = LegacyWriter(tmp_path / "f.db")
    for i in range(10):
        writer.save_state(f"good-{i}", "start", {"i": i})
        if i == 3:
            writer.save_state(taken, "start", {"mine": True})
        if i == 6:
            writer.raw("bad-json", "start", "2026-01-01T00:00:00+00:00", '{"cut": ')
    writer.close()

    report = migrate(dsn, tmp_path / "f.db", context)
    kinds = {f.external_id: f.kind for f in report.failures}
    assert kinds == {taken: "conflict", "bad-json": "invalid"}
    assert report.flows_migrated == 10 and report.flows_verified == 10 and not report.differences
    assert counts(dsn)["migration_ledger"] == 10 and counts(dsn)["legacy_rows"] == 10
    assert table_digest(dsn)["flows"] != before_taken  # the ten new flows
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select state_data, flow_version from flowstate.flows where flow_id = %s",
                            [taken]).fetchone() == ({}, 1)  # the taken flow is untouched


def test_huge_states_go_in_parts_and_come_out_exact(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    writer = LegacyWriter(tmp_path / "f.db")
    rnd = random.Random(5)
    for step in range(6):  # about 1.5 MB a row, 9 MB for the flow
        writer.save_state("huge", f"step{step % 3}", {"blob": "".join(rnd.choices("abcdefé😀", k=700_000)),
                                                      "n": float("nan") if step == 5 else step})
    writer.save_state("small", "start", {"x": 1})
    writer.close()
    report = migrate(dsn, tmp_path / "f.db", context, part_bytes=2 << 20)  # parts of ~2 MB
    assert report.ok and report.flows_migrated == 2 and report.flows_verified == 2
    with psycopg.connect(dsn) as conn:
        stored = conn.execute("select state_text from flowstate.legacy_rows order by flow_id, legacy_id").fetchall()
    source = {r[0]: r[4] for r in rows_of(tmp_path / "f.db")}
    assert sorted(s[0].encode() for s in stored) == sorted(source.values())
    # Run again: the big flow is hashed, not sent, and found done.
    again = migrate(dsn, tmp_path / "f.db", context, part_bytes=2 << 20)
    assert again.ok and again.flows_skipped == 2


def test_values_jsonb_cannot_hold_keep_their_exact_text(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    writer = LegacyWriter(tmp_path / "f.db")
    specials = {"nan": float("nan"), "inf": float("inf"), "ninf": float("-inf"), "nul": "a\x00b", "lone": "x\ud800y",
                "low": "\udc00", "pair": "\ud83d\ude00", "rtl": "\u05e9\u05dc\u05d5\u05dd", "combining": "e\u0301",
                "escaped": "\\u0000", "line": "\u2028"}
    writer.save_state("specials", "start", {"first": True})
    writer.save_state("specials", "write", specials)
    writer.close()
    report = migrate(dsn, tmp_path / "f.db", context)
    assert report.ok
    assert report.mapped[0]["external_id"] == "specials" and len(report.mapped[0]["notes"]) == 3
    with psycopg.connect(dsn) as conn:
        conn.execute("set client_encoding = 'UTF8'")
        texts = [r[0] for r in conn.execute("select state_text from flowstate.legacy_rows order by legacy_id")]
        state = conn.execute("select state_data from flowstate.flows where external_id = 'specials'").fetchone()[0]
    assert [t.encode() for t in texts] == [r[4] for r in rows_of(tmp_path / "f.db")]
    assert stand_ins(state) == {"nan": "NaN", "inf": "Infinity", "ninf": "-Infinity", "nul": "a\ufffdb",
                                "lone": "x\ufffdy", "low": "\ufffd", "pair": "😀", "rtl": specials["rtl"],
                                "combining": "e\u0301", "escaped": "\\u0000", "line": "\u2028"}
    # Beside the stand-ins, the exact values: a load gives back what CrewAI's json.loads gives.
    assert json.dumps(restore(state), sort_keys=True) == json.dumps(json.loads(json.dumps(specials)), sort_keys=True)


def test_a_flow_from_another_source_file_is_a_conflict(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    a = LegacyWriter(tmp_path / "a.db")
    a.save_state("shared", "start", {"from": "a"})
    a.save_state("only-a", "start", {})
    a.close()
    assert migrate(dsn, tmp_path / "a.db", context).ok
    before = table_digest(dsn)

    b = LegacyWriter(tmp_path / "b.db")
    b.save_state("shared", "start", {"from": "b"})
    b.close()
    result = cli(dsn, str(tmp_path / "b.db"), "--json", *tenant_args(context))
    assert result.exit_code == 1
    failure = json.loads(result.output)["failures"][0]
    assert failure["kind"] == "conflict" and failure["external_id"] == "shared"
    assert str(tmp_path / "a.db") in failure["reason"] and "never merged" in failure["reason"]
    assert table_digest(dsn) == before

    # A byte copy of the first file elsewhere: same content, so everything is already migrated.
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "a.db").write_bytes((tmp_path / "a.db").read_bytes())
    again = migrate(dsn, tmp_path / "copy" / "a.db", context)
    assert again.ok and again.flows_skipped == 2


def test_interrupted_by_kill_9_and_resumed_without_duplicates_or_gaps(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    writer = LegacyWriter(tmp_path / "f.db")
    rnd = random.Random(9)
    for i in range(600):
        for step in range(1 + i % 4):
            writer.save_state(f"flow-{i}", f"m{step}", {"i": i, "pad": "".join(rnd.choices("xyz", k=10_000))})
    writer.close()
    source_rows = len(rows_of(tmp_path / "f.db"))

    child = subprocess.Popen([sys.executable, "-m", "pgflowstate.migrator", str(tmp_path / "f.db"), "--dsn", dsn,
                              "--workers", "2", *tenant_args(context)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    with psycopg.connect(dsn, autocommit=True) as conn:
        while conn.execute("select count(*) from flowstate.migration_ledger").fetchone()[0] < 40:
            assert child.poll() is None and time.monotonic() < deadline, "the migration ended before it could be killed"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait()
        # A statement the child sent before it died still runs to its commit: count once its
        # connections are gone (counted too early, the resumed run skipped one flow more).
        while conn.execute("select count(*) from pg_stat_activity where datname = current_database()"
                           " and pid <> pg_backend_pid() and backend_type = 'client backend'").fetchone()[0]:
            assert time.monotonic() < deadline + 60, "the killed migration's connections never closed"
            time.sleep(0.01)
        # Per-flow transactions: whatever is there is whole (one snapshot for both counts).
        flows, ledger, imports = conn.execute(
            "select (select count(*) from flowstate.flows), (select count(*) from flowstate.migration_ledger),"
            " (select count(*) from flowstate.audit_log where operation = 'import')").fetchone()
    assert 40 <= ledger < 600, "killed midway"
    assert flows == ledger == imports

    report = migrate(dsn, tmp_path / "f.db", context)
    assert report.ok, report.failures
    assert report.flows_skipped == ledger and report.flows_skipped + report.flows_migrated == 600
    final = counts(dsn)
    assert (final["flows"], final["migration_ledger"], final["legacy_rows"]) == (600, 600, source_rows)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from flowstate.audit_log where operation = 'import'").fetchone()[0] == 600
    assert verify(dsn, tmp_path / "f.db", context).flows_verified == 600


def test_random_legacy_histories_come_out_identical(fresh_database, tmp_path):
    """Property: whatever CrewAI wrote (random flows, ids, methods, states with every awkward
    value), every row comes out byte for byte, and each current state is the documented
    mapping of its flow's highest-id row."""
    dsn, context = fresh_database(), new_context()
    rnd = random.Random(20261127)
    writer = LegacyWriter(tmp_path / "f.db")
    per_flow = random_history(rnd, writer, flows=150)
    writer.close()
    report = migrate(dsn, tmp_path / "f.db", context, workers=3)
    assert report.ok, (report.failures, report.differences)
    assert report.flows_migrated == len(per_flow) and report.rows_migrated == sum(per_flow.values())

    source: dict[str, list[tuple]] = {}
    for legacy_id, flow_uuid, method, at, state in rows_of(tmp_path / "f.db"):
        source.setdefault(flow_uuid.decode(), []).append((legacy_id, method.decode(), at.decode(), state))
    ctx = json.dumps(context.jsonb())
    with psycopg.connect(dsn) as conn:
        for external_id, rows in source.items():
            flow_id = conn.execute("select flowstate.flow_id_for(%s, %s)", [external_id, ctx]).fetchone()[0]
            stored = conn.execute("select legacy_id, method_name, legacy_timestamp, state_text"
                                  " from flowstate.flow_legacy_history(%s, %s)", [flow_id, ctx]).fetchall()
            assert [(i, m, t, s.encode()) for i, m, t, s in stored] == rows, external_id
            state, phase = conn.execute("select state_data, current_phase from flowstate.flows where flow_id = %s",
                                        [flow_id]).fetchone()
            assert phase == rows[-1][1]
            assert same_json(stand_ins(state), expected_mapping(rows[-1][3])), external_id


def stand_ins(state: dict) -> dict:
    """state_data without the exact values kept beside its stand-ins (codec.EXACT_KEY)."""
    return {k: v for k, v in state.items() if k != EXACT_KEY}


def expected_mapping(text: bytes):
    """The documented mapping (flowstate._legacy_json), derived independently with Python's
    json module: non-finite numbers as strings, NUL and lone surrogates as U+FFFD, a
    non-object wrapped in {"legacy_value": ...}."""
    def fix(value):
        if isinstance(value, float) and not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        if isinstance(value, str):
            return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in value)
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {fix(k): fix(v) for k, v in value.items()}
        return value

    value = fix(json.loads(text))
    return value if isinstance(value, dict) else {"legacy_value": value}


def same_json(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return a == b


def test_verify_alone_finds_what_differs(fresh_database, tmp_path):
    dsn, context = fresh_database(), new_context()
    sample_db(tmp_path / "f.db").close()
    assert migrate(dsn, tmp_path / "f.db", context).ok
    result = cli(dsn, str(tmp_path / "f.db"), "--verify", *tenant_args(context))
    assert result.exit_code == 0 and "12 flows and" in result.output

    with psycopg.connect(dsn, autocommit=True) as conn:  # damage below the functions (and guards)
        conn.execute("set session_replication_role = replica")
        conn.execute("update flowstate.legacy_rows set state_text = state_text || ' '"
                     " where legacy_id = (select min(legacy_id) from flowstate.legacy_rows)")
    writer = LegacyWriter(tmp_path / "f.db")
    writer.save_state("added-later", "start", {})
    writer.close()
    result = cli(dsn, str(tmp_path / "f.db"), "--verify", "--json", *tenant_args(context))
    assert result.exit_code == 1
    problems = {d["external_id"]: d["problem"] for d in json.loads(result.output)["differences"]}
    assert problems["added-later"] == "Not imported."
    assert len(problems) == 2 and any("differ" in p for p in problems.values())


def test_content_hash_is_the_same_in_python_and_sql(fresh_database):
    rnd = random.Random(3)
    with psycopg.connect(fresh_database()) as conn:
        for _ in range(20):
            rows = [(i, rnd.choice(["a", "é", ""]).encode(), str(rnd.random()).encode(),
                     json.dumps({"v": rnd.random(), "s": "\ud800\x00"}).encode()) for i in range(1, rnd.randint(2, 6))]
            pending = (7, b'{"m": NaN}', b"{}", b"2026") if rnd.random() < 0.5 else None
            pending_args = [pending[0], *(p.decode() for p in pending[1:])] if pending else [None] * 4
            sql = conn.execute(
                "select flowstate._legacy_content_hash(%s, %s, %s, %s,"
                " flowstate._legacy_pending_line(%s, %s, %s, %s))",
                [[r[0] for r in rows], [r[1].decode() for r in rows], [r[2].decode() for r in rows],
                 [hashlib.sha256(r[3]).hexdigest() for r in rows], *pending_args]).fetchone()[0]
            assert sql == content_hash(rows, pending)


def test_the_application_role_can_migrate(app_dsn, tmp_path):
    context = new_context()
    sample_db(tmp_path / "f.db", flows=3).close()
    report = migrate(app_dsn, tmp_path / "f.db", context)
    assert report.ok and report.flows_migrated == 3 and report.flows_verified == 3


def test_connection_and_usage_errors_are_one_line_with_exit_2(tmp_path):
    sample_db(tmp_path / "f.db", flows=1).close()
    context = new_context()
    unreachable = subprocess.run([sys.executable, "-m", "pgflowstate.migrator", str(tmp_path / "f.db"), "--dsn",
                                  "postgresql://nobody@127.0.0.1:1/none", *tenant_args(context)],
                                 capture_output=True, text=True)
    assert unreachable.returncode == 2 and "cannot connect" in unreachable.stderr
    assert unreachable.stderr.count("\n") == 1
    missing = cli("postgresql://nobody@127.0.0.1:1/none", str(tmp_path / "nope.db"), *tenant_args(context))
    assert missing.exit_code == 2 and "no such file" in missing.output
    no_tenant = CliRunner().invoke(main, ["migrate-sqlite", str(tmp_path / "f.db"), "--dsn", "postgresql://x@127.0.0.1:1/x"],
                                   env={"PGFLOWSTATE_CLIENT_ACCOUNT_ID": ""})
    assert no_tenant.exit_code == 2 and "--client-account-id" in no_tenant.output


def test_the_default_path_is_crewais(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("CREWAI_STORAGE_DIR", "my-project")
    assert default_path() == tmp_path / "data" / "my-project" / "flow_states.db"
    assert not (tmp_path / "data").exists(), "computing the path creates nothing"
    monkeypatch.delenv("CREWAI_STORAGE_DIR")
    monkeypatch.chdir(tmp_path)
    assert default_path() == tmp_path / "data" / tmp_path.name / "flow_states.db"


def test_source_error_for_a_directory(tmp_path):
    with pytest.raises(SourceError, match="not a file"):
        asyncio.run(StateMigrator("postgresql://x@127.0.0.1:1/x", new_context()).migrate(tmp_path))
