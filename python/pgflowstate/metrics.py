"""Monitoring in the wrapper: latency histograms, outcome counters and transition logs.

Every public FlowStateStore method is wrapped by :func:`observed`, which records, in process
and without touching the database:

- the call's latency in a per-operation histogram (successes and failures alike);
- its outcome: ``ok`` or the error's SQLSTATE class (``validation_failures`` counts FS001,
  ``conflicts`` FS002);
- for a call that changed a flow, a log record on logger ``pgflowstate`` with structured
  ``extra`` fields (``flow_operation``, ``flow_id``, ``flow_version``, ``current_phase``,
  ``status``, ``duration_ms``); refused calls log at INFO with ``error`` (the SQLSTATE).

Read them with ``METRICS.snapshot()`` (a dict), export them with ``METRICS.prometheus()``
(Prometheus text format) or ``METRICS.dump(path)`` (JSON, which ``pgflowstate stats --metrics
PATH`` reads). A store records into ``store.metrics`` when set, else into the module-wide
``METRICS``.
"""

from __future__ import annotations

import bisect
import functools
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

from .errors import StateError
from .models import CorruptionReport

logger = logging.getLogger("pgflowstate")

# Upper bounds in seconds, 50 µs to 10 s: a store call is ~0.1 ms on a local socket, and a
# bulk history read or a lock wait can take seconds.
BUCKETS: tuple[float, ...] = (
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)

# Operations whose successful call changed a flow, and so is logged.
WRITES = frozenset({
    "save_state", "put_state", "transition_phase", "create_checkpoint",
    "recover_from_checkpoint", "recover_failed", "handle_corrupted",
})


class Histogram:
    """Call count, total, max and cumulative-ready bucket counts of one operation's latency."""

    def __init__(self, counts: list[int] | None = None, total: float = 0.0, maximum: float = 0.0):
        self.counts = counts or [0] * (len(BUCKETS) + 1)  # the last bucket is +Inf
        self.sum = total
        self.max = maximum

    @property
    def count(self) -> int:
        return sum(self.counts)

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.sum += seconds
        self.max = max(self.max, seconds)

    def quantile(self, q: float) -> float:
        """An estimate, interpolated within the bucket that holds the q-th call (as
        Prometheus' histogram_quantile does), never above the largest value seen."""
        rank, seen, lower = q * self.count, 0, 0.0
        for upper, n in zip((*BUCKETS, self.max), self.counts):
            if n and seen + n >= rank:
                return min(lower + (upper - lower) * (rank - seen) / n, self.max)
            seen, lower = seen + n, upper
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count, "sum_s": self.sum, "max_s": self.max,
            "p50_s": self.quantile(0.5), "p95_s": self.quantile(0.95), "p99_s": self.quantile(0.99),
            "buckets": [[bound, n] for bound, n in zip((*BUCKETS, "+Inf"), self.counts)],
        }


class Metrics:
    """Latency histograms per operation and outcome counters per operation. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency: dict[str, Histogram] = {}
        self.outcomes: dict[str, dict[str, int]] = {}  # operation -> outcome -> calls

    def observe(self, operation: str, seconds: float, outcome: str = "ok") -> None:
        with self._lock:
            histogram = self.latency.get(operation)
            if histogram is None:
                histogram = self.latency[operation] = Histogram()
            histogram.observe(seconds)
            counts = self.outcomes.setdefault(operation, {})
            counts[outcome] = counts.get(outcome, 0) + 1

    def count(self, outcome: str) -> int:
        """Calls with this outcome ('ok', 'FS001', 'FS002', ...), all operations together."""
        with self._lock:
            return sum(c.get(outcome, 0) for c in self.outcomes.values())

    @property
    def validation_failures(self) -> int:
        return self.count("FS001")

    @property
    def conflicts(self) -> int:
        return self.count("FS002")

    def reset(self) -> None:
        with self._lock:
            self.latency.clear()
            self.outcomes.clear()

    def snapshot(self) -> dict[str, Any]:
        """Everything as JSON-ready data: {"operations": {name: {...histogram, "outcomes"}},
        "validation_failures", "conflicts"}."""
        with self._lock:
            operations = {
                name: {**h.to_dict(), "outcomes": dict(self.outcomes.get(name, {}))}
                for name, h in sorted(self.latency.items())
            }
        return {
            "operations": operations,
            "validation_failures": sum(o["outcomes"].get("FS001", 0) for o in operations.values()),
            "conflicts": sum(o["outcomes"].get("FS002", 0) for o in operations.values()),
        }

    def dump(self, path: str | os.PathLike) -> None:
        """Write snapshot() as JSON, atomically (a reader never sees half a file)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.snapshot()))
        os.replace(tmp, path)

    def prometheus(self, prefix: str = "pgflowstate") -> str:
        """The metrics in Prometheus' text exposition format."""
        with self._lock:
            items = [(name, Histogram(list(h.counts), h.sum, h.max)) for name, h in sorted(self.latency.items())]
            outcomes = {name: dict(c) for name, c in self.outcomes.items()}
        lines = [
            f"# HELP {prefix}_operation_duration_seconds Latency of FlowStateStore calls.",
            f"# TYPE {prefix}_operation_duration_seconds histogram",
        ]
        for name, h in items:
            cumulative = 0
            for bound, n in zip((*BUCKETS, "+Inf"), h.counts):
                cumulative += n
                lines.append(f'{prefix}_operation_duration_seconds_bucket{{operation="{name}",le="{bound}"}} {cumulative}')
            lines.append(f'{prefix}_operation_duration_seconds_sum{{operation="{name}"}} {h.sum!r}')
            lines.append(f'{prefix}_operation_duration_seconds_count{{operation="{name}"}} {h.count}')
        lines += [
            f"# HELP {prefix}_operations_total FlowStateStore calls by outcome (ok or SQLSTATE).",
            f"# TYPE {prefix}_operations_total counter",
        ]
        for name in sorted(outcomes):
            for outcome, n in sorted(outcomes[name].items()):
                lines.append(f'{prefix}_operations_total{{operation="{name}",outcome="{outcome}"}} {n}')
        return "\n".join(lines) + "\n"


METRICS = Metrics()


def merge_snapshots(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """One snapshot from several (e.g. dump() files of several processes)."""
    merged = Metrics()
    for snap in snapshots:
        for name, op in snap.get("operations", {}).items():
            h = merged.latency.setdefault(name, Histogram())
            for i, (_bound, n) in enumerate(op["buckets"]):
                h.counts[i] += n
            h.sum += op["sum_s"]
            h.max = max(h.max, op["max_s"])
            counts = merged.outcomes.setdefault(name, {})
            for outcome, n in op.get("outcomes", {}).items():
                counts[outcome] = counts.get(outcome, 0) + n
    return merged.snapshot()


T = TypeVar("T")


def observed(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Record a FlowStateStore method's latency and outcome; log the flows it changes."""
    operation = method.__name__
    is_write = operation in WRITES
    takes_flow_id = not operation.startswith("validate")

    @functools.wraps(method)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        registry = getattr(self, "metrics", None) or METRICS
        started = time.perf_counter()
        try:
            result = await method(self, *args, **kwargs)
        except StateError as exc:
            elapsed = time.perf_counter() - started
            registry.observe(operation, elapsed, exc.sqlstate)
            if logger.isEnabledFor(logging.INFO):
                _log_refused(operation, _flow_id(args, kwargs) if takes_flow_id else None, exc, elapsed)
            raise
        except BaseException:
            registry.observe(operation, time.perf_counter() - started, "error")
            raise
        elapsed = time.perf_counter() - started
        registry.observe(operation, elapsed)
        if is_write and logger.isEnabledFor(logging.INFO):
            _log_change(operation, _flow_id(args, kwargs), result, elapsed)
        return result

    return wrapper


def _flow_id(args: tuple, kwargs: dict) -> str | None:
    flow_id = args[0] if args else kwargs.get("flow_id")
    return None if flow_id is None else str(flow_id)


def _log_change(operation: str, flow_id: str | None, result: Any, elapsed: float) -> None:
    doc = result.document if isinstance(result, CorruptionReport) else result  # the reset document
    fields = {
        "flow_operation": operation,
        "flow_id": flow_id,
        "flow_version": getattr(doc, "flow_version", None),
        "current_phase": getattr(doc, "current_phase", None),
        "status": getattr(doc, "status", None),
        "duration_ms": round(elapsed * 1000, 3),
    }
    if operation == "create_checkpoint":
        fields["checkpoint_id"] = str(result)
        message = "flow %s: checkpoint %s" % (fields["flow_id"], result)
    else:
        message = "flow %s: %s -> version %s, phase %s (%s)" % (
            fields["flow_id"], operation, fields["flow_version"], fields["current_phase"], fields["status"])
    logger.info(message, extra=fields)


def _log_refused(operation: str, flow_id: str | None, exc: StateError, elapsed: float) -> None:
    fields = {
        "flow_operation": operation,
        "flow_id": flow_id,
        "error": exc.sqlstate,
        "error_type": type(exc).__name__,
        "duration_ms": round(elapsed * 1000, 3),
    }
    logger.info("flow %s: %s refused: %s %s", fields["flow_id"], operation, exc.sqlstate, exc, extra=fields)
