"""Monitoring in the wrapper: latency histograms, outcome counts, transition logs, exports.

Against a real server; the round-trip count of every method (with the recording in place) is
held by test_concurrency.test_each_method_is_one_round_trip_on_a_create_pool.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import uuid

import pytest

from flowdocs import new_doc
from pgflowstate import ConcurrentModificationError, InvalidTransitionError, StateValidationError
from pgflowstate.metrics import BUCKETS, METRICS, Histogram, Metrics, merge_snapshots


@pytest.fixture
def metrics(store) -> Metrics:
    store.metrics = Metrics()
    return store.metrics


def test_histogram_counts_every_value_in_its_bucket():
    h = Histogram()
    for ms in (0.2, 0.3, 0.4, 0.9, 3, 40, 20_000):
        h.observe(ms / 1000)
    assert h.count == 7
    assert h.sum == pytest.approx(20_044.8 / 1000)
    assert h.max == 20.0
    assert h.counts[BUCKETS.index(0.00025)] == 1  # 0.2 ms: (0.1 ms, 0.25 ms]
    assert h.counts[BUCKETS.index(0.0005)] == 2  # 0.3 and 0.4 ms: (0.25 ms, 0.5 ms]
    assert h.counts[-1] == 1, "past the last bound: the +Inf bucket"
    assert 0.00025 <= h.quantile(0.5) <= 0.001
    assert h.quantile(1.0) == 20.0
    assert Histogram().quantile(0.5) == 0.0


async def test_every_call_is_timed_by_operation_and_outcome(store, metrics):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id, rows=1))
    await store.load_state(flow_id)
    await store.load_state(flow_id)
    with pytest.raises(ConcurrentModificationError):
        await store.save_state(flow_id, new_doc(flow_id, rows=2), version=7)
    with pytest.raises(StateValidationError):
        await store.save_state(flow_id, {"flow_id": str(flow_id)}, version=1)
    with pytest.raises(InvalidTransitionError):
        await store.transition_phase(flow_id, "completed")

    snap = metrics.snapshot()
    ops = snap["operations"]
    assert ops["save_state"]["count"] == 3
    assert ops["save_state"]["outcomes"] == {"ok": 1, "FS002": 1, "FS001": 1}
    assert ops["load_state"]["outcomes"] == {"ok": 2}
    assert ops["transition_phase"]["outcomes"] == {"FS003": 1}
    assert snap["conflicts"] == metrics.conflicts == 1
    assert snap["validation_failures"] == metrics.validation_failures == 1
    assert 0 < ops["load_state"]["p50_s"] <= ops["load_state"]["max_s"] < 10
    assert sum(n for _, n in ops["load_state"]["buckets"]) == 2


async def test_a_store_without_its_own_metrics_records_into_the_module_registry(store):
    flow_id = uuid.uuid4()
    before = METRICS.snapshot()["operations"].get("load_state", {}).get("count", 0)
    await store.load_state(flow_id)
    assert METRICS.snapshot()["operations"]["load_state"]["count"] == before + 1


async def test_state_changes_are_logged_with_structured_fields(store, metrics, caplog):
    flow_id = uuid.uuid4()
    caplog.set_level(logging.INFO, logger="pgflowstate")
    await store.save_state(flow_id, new_doc(flow_id, rows=1))
    await store.load_state(flow_id)  # a read: timed, not logged
    checkpoint_id = await store.create_checkpoint(flow_id)
    await store.transition_phase(flow_id, "field_mapping", version=1)
    await store.transition_phase(flow_id, "failed")
    await store.recover_failed(flow_id)
    with pytest.raises(ConcurrentModificationError):
        await store.save_state(flow_id, new_doc(flow_id), version=1)

    records = [r for r in caplog.records if r.name == "pgflowstate" and getattr(r, "flow_id", None) == str(flow_id)]
    assert [(r.flow_operation, getattr(r, "flow_version", None), getattr(r, "current_phase", None),
             getattr(r, "status", None), getattr(r, "error", None)) for r in records] == [
        ("save_state", 1, "data_import", "running", None),
        ("create_checkpoint", None, None, None, None),
        ("transition_phase", 2, "field_mapping", "running", None),
        ("transition_phase", 3, "failed", "failed", None),
        ("recover_failed", 4, "data_import", "recovered", None),
        ("save_state", None, None, None, "FS002"),
    ]
    assert records[1].checkpoint_id == str(checkpoint_id)
    assert all(r.duration_ms >= 0 for r in records)
    assert records[-1].levelno == logging.INFO and "refused" in records[-1].getMessage()
    assert "version 2, phase field_mapping" in records[2].getMessage()


def test_prometheus_export_is_cumulative():
    m = Metrics()
    for seconds in (0.0003, 0.0004, 0.002):
        m.observe("save_state", seconds)
    m.observe("save_state", 0.001, "FS002")
    text = m.prometheus()
    assert "# TYPE pgflowstate_operation_duration_seconds histogram" in text
    assert 'pgflowstate_operation_duration_seconds_bucket{operation="save_state",le="0.0005"} 2\n' in text
    assert 'pgflowstate_operation_duration_seconds_bucket{operation="save_state",le="+Inf"} 4\n' in text
    assert 'pgflowstate_operation_duration_seconds_count{operation="save_state"} 4\n' in text
    assert 'pgflowstate_operations_total{operation="save_state",outcome="FS002"} 1\n' in text
    assert 'pgflowstate_operations_total{operation="save_state",outcome="ok"} 3\n' in text


def test_dumps_of_several_processes_merge(tmp_path):
    a, b = Metrics(), Metrics()
    a.observe("load_state", 0.001)
    a.observe("save_state", 0.002, "FS002")
    b.observe("load_state", 0.003)
    a.dump(tmp_path / "a.json")
    b.dump(tmp_path / "b.json")
    merged = merge_snapshots([json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json")])
    assert merged["operations"]["load_state"]["count"] == 2
    assert merged["operations"]["load_state"]["max_s"] == 0.003
    assert merged["conflicts"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"], "no temporary file left"


async def test_stats_shows_the_dumped_wrapper_metrics(store, metrics, admin_dsn, tmp_path):
    flow_id = uuid.uuid4()
    await store.save_state(flow_id, new_doc(flow_id))
    with pytest.raises(ConcurrentModificationError):
        await store.save_state(flow_id, new_doc(flow_id), version=5)
    metrics.dump(tmp_path / "app.json")

    cli = [sys.executable, "-m", "pgflowstate", "stats", "--dsn", admin_dsn, "--metrics", str(tmp_path / "app.json")]
    human = subprocess.run(cli, capture_output=True, text=True)
    assert human.returncode == 0, human.stderr
    assert "wrapper metrics" in human.stdout and "save_state" in human.stdout
    assert "validation failures: 0, conflicts: 1" in human.stdout
    as_json = json.loads(subprocess.run([*cli, "--json"], capture_output=True, text=True).stdout)
    assert as_json["wrapper"]["operations"]["save_state"]["outcomes"] == {"ok": 1, "FS002": 1}
