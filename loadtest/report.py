"""The benchmark's figures: percentiles, ratios to the bare function, targets, table and JSON.

Pure: no I/O besides `write_json`, so the arithmetic is unit-tested on its own.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BARE = "bare"

#: Issue 9's targets: the minimum ratio to the bare function's req/s, per endpoint class.
RATIO_TARGETS: dict[str, float] = {"balance": 0.35, "command": 0.20, "login": 0.05}
READ_P99_TARGET_MS = 50.0
PROJECTION_P99_TARGET_MS = 1000.0
DRAIN_TARGET_PER_S = 500.0


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0 < q <= 100) by the nearest-rank method; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class ClassResult:
    """One endpoint class measured at full speed (closed loop) in its own time slot."""

    name: str
    label: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    ratio: float | None = None  # req/s over the bare function's req/s, same run
    target: float | None = None

    @property
    def req_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def meets(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(req_s=round(self.req_s, 1), meets=self.meets)
        return out


def class_result(name: str, label: str, latencies_s: list[float], seconds: float,
                 statuses: dict[int, int], errors: int = 0, ok: tuple[int, ...] = ()) -> ClassResult:
    """Summarise one slot. With `ok`, only those statuses count as served requests."""
    counted = sum(n for s, n in statuses.items() if not ok or s in ok)
    return ClassResult(
        name=name, label=label, requests=counted, seconds=seconds,
        p50_ms=percentile(latencies_s, 50) * 1000, p99_ms=percentile(latencies_s, 99) * 1000,
        statuses={str(s): n for s, n in sorted(statuses.items())}, errors=errors,
    )


def apply_ratios(results: list[ClassResult]) -> list[ClassResult]:
    """Set each result's ratio to the bare function measured in the same run, and its target."""
    bare = next((r for r in results if r.name == BARE), None)
    base = bare.req_s if bare is not None else 0.0
    for r in results:
        r.ratio = r.req_s / base if base else None
        r.target = RATIO_TARGETS.get(r.name)
    return results


@dataclass
class LatencyResult:
    """A fixed-rate (open loop) measurement: reads at half their maximum, or command-to-projection."""

    name: str
    rate: float
    count: int
    p50_ms: float
    p99_ms: float
    target_ms: float
    missing: int = 0  # not observed at all (counted as failures of the target)

    @property
    def meets(self) -> bool:
        return self.missing == 0 and self.count > 0 and self.p99_ms < self.target_ms

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "meets": self.meets}


def latency_result(name: str, rate: float, latencies_s: list[float], target_ms: float,
                   missing: int = 0) -> LatencyResult:
    return LatencyResult(name=name, rate=rate, count=len(latencies_s),
                         p50_ms=percentile(latencies_s, 50) * 1000,
                         p99_ms=percentile(latencies_s, 99) * 1000, target_ms=target_ms,
                         missing=missing)


@dataclass
class DrainResult:
    """Commands confirmed per second by the outbox on the embedded ledger, with a backlog."""

    backlog: int  # unfinished commands when the accept slot ended
    confirmed: int  # confirmed while draining that backlog
    seconds: float
    target: float = DRAIN_TARGET_PER_S

    @property
    def rate(self) -> float:
        return self.confirmed / self.seconds if self.seconds > 0 else 0.0

    @property
    def meets(self) -> bool:
        return self.rate >= self.target

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rate": round(self.rate, 1), "meets": self.meets}


@dataclass
class Report:
    meta: dict[str, Any]
    classes: list[ClassResult]
    reads_at_half: list[LatencyResult]
    projection: LatencyResult | None
    drain: DrainResult | None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "classes": [c.to_json() for c in self.classes],
            "reads_at_half": [r.to_json() for r in self.reads_at_half],
            "projection": self.projection.to_json() if self.projection else None,
            "drain": self.drain.to_json() if self.drain else None,
            "notes": self.notes,
        }


def _num(v: float | None, fmt: str = "{:.1f}") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)


def _verdict(meets: bool | None) -> str:
    return "" if meets is None else ("ok" if meets else "MISSED")


def table(report: Report) -> str:
    """The printed summary: one table, then the latency, projection and drain lines."""
    header = (f"{'endpoint class':<44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8}"
              f" {'target':>7}")
    rows = [header]
    for c in report.classes:
        other = {s: n for s, n in c.statuses.items() if not s.startswith("2")}
        tail = f"  non-2xx {other}" if other else ""
        rows.append(
            f"{c.label:<44} {c.req_s:>9.0f} {_num(c.p50_ms):>8} {_num(c.p99_ms):>8} "
            f"{_num(c.ratio * 100 if c.ratio is not None else None, '{:.0f} %'):>8} "
            f"{_num(c.target * 100 if c.target else None, '>={:.0f} %'):>7}  "
            f"{_verdict(c.meets)}{tail}")
    rows.append("")
    for r in report.reads_at_half:
        rows.append(f"{r.name} at {r.rate:.0f} req/s (half its maximum): p50 {_num(r.p50_ms)} ms,"
                    f" p99 {_num(r.p99_ms)} ms (target < {r.target_ms:.0f}) {_verdict(r.meets)}")
    if report.projection is not None:
        p = report.projection
        rows.append(f"command-to-projection at {p.rate:.0f} commands/s ({p.count} commands): "
                    f"p50 {_num(p.p50_ms, '{:.0f}')} ms, p99 {_num(p.p99_ms, '{:.0f}')} ms "
                    f"(target < {p.target_ms:.0f}){f', {p.missing} never projected' if p.missing else ''}"
                    f" {_verdict(p.meets)}")
    if report.drain is not None:
        d = report.drain
        rows.append(f"outbox drain on the embedded ledger: {d.rate:.0f} commands/s ({d.confirmed}"
                    f" confirmed in {d.seconds:.1f} s from a backlog of {d.backlog}; target >="
                    f" {d.target:.0f}) {_verdict(d.meets)}")
    for note in report.notes:
        rows.append(f"note: {note}")
    return "\n".join(rows)


def write_json(report: Report, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(report.to_json()), indent=2, allow_nan=False))
    return path


def _clean(value: Any) -> Any:
    """NaN (a slot with no sample) becomes null: JSON has no NaN."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 3)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
