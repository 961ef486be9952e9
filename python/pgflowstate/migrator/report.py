"""What a migration or a verification found: counts, failures with their reasons, mapped
flows, differences between the source and PostgreSQL, timings (``MigrationReport``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .source import Flow


@dataclass
class Failure:
    external_id: str
    rows: int
    reason: str
    kind: str = "invalid"  # invalid | conflict | error
    flow_id: str | None = None


@dataclass
class MigrationReport:
    source: str
    fingerprint: str = ""
    source_bytes: int = 0
    copied: bool = False
    dry_run: bool = False
    verify_only: bool = False
    flows_total: int = 0
    rows_total: int = 0
    flows_migrated: int = 0
    rows_migrated: int = 0
    flows_skipped: int = 0  # already migrated
    rows_skipped: int = 0
    flows_failed: int = 0
    rows_failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    mapped: list[dict] = field(default_factory=list)  # {external_id, notes}: current state mapped
    verified: bool = False
    flows_verified: int = 0
    rows_verified: int = 0
    differences: list[dict] = field(default_factory=list)  # {external_id, problem}
    errors: list[str] = field(default_factory=list)  # run-level problems (source changed, ...)
    state_bytes: int = 0  # state text read from the source
    seconds: float = 0.0
    import_seconds: float = 0.0
    verify_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.failures or self.differences or self.errors)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["rows_per_second"] = round(self.rows_total / self.seconds, 1) if self.seconds else None
        data["mb_per_second"] = round(self.state_bytes / 1e6 / self.seconds, 2) if self.seconds else None
        return data

    def fail(self, flow: Flow, reason: str, kind: str = "invalid", flow_id: str | None = None) -> None:
        self.flows_failed += 1
        self.rows_failed += flow.row_count
        self.failures.append(Failure(flow.external_id, flow.row_count, reason, kind, flow_id))
