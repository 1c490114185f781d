"""The benchmark's arithmetic and bookkeeping: percentiles, ratios to the bare function, targets,
the printed table and the JSON file, the per-principal budget and the load shape."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest import report, stages
from loadtest.bench import PrincipalBudget


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert report.percentile(values, 50) == 50.0
    assert report.percentile(values, 99) == 99.0
    assert report.percentile(values, 100) == 100.0
    assert report.percentile([7.0], 99) == 7.0
    assert math.isnan(report.percentile([], 50))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=200),
       st.floats(1, 100))
def test_percentile_is_a_sample_and_monotonic(values: list[float], q: float) -> None:
    p = report.percentile(values, q)
    assert p in values
    assert report.percentile(values, min(100.0, q + 1)) >= p


def _result(name: str, count: int, seconds: float = 10.0, status: int = 200) -> report.ClassResult:
    return report.class_result(name, name, [0.001] * count, seconds, {status: count, 429: 5},
                               ok=(status,))


def test_ratios_are_to_the_bare_function_of_the_same_run() -> None:
    results = report.apply_ratios([
        _result("bare", 50_000), _result("balance", 20_000), _result("command", 9_000, status=202),
        _result("login", 400),
    ])
    by = {r.name: r for r in results}
    assert by["bare"].req_s == 5_000 and by["bare"].ratio == 1.0
    assert by["balance"].ratio == pytest.approx(0.4) and by["balance"].meets is True
    assert by["command"].ratio == pytest.approx(0.18) and by["command"].meets is False
    assert by["login"].ratio == pytest.approx(0.008) and by["login"].meets is False
    assert by["bare"].target is None and by["bare"].meets is None
    assert by["command"].statuses == {"202": 9_000, "429": 5}  # 429s shown, not counted


def test_without_a_bare_measurement_there_is_no_ratio() -> None:
    (only,) = report.apply_ratios([_result("balance", 100)])
    assert only.ratio is None and only.meets is None


def test_table_and_json(tmp_path: Path) -> None:
    classes = report.apply_ratios([_result("bare", 50_000), _result("balance", 20_000),
                                   report.class_result("history", "history", [], 10.0, {})])
    rep = report.Report(
        meta={"cpus": 2}, classes=classes,
        reads_at_half=[report.latency_result("balance read", 1000, [0.004] * 98 + [0.06] * 2, 50)],
        projection=report.latency_result("command-to-projection", 100, [0.2] * 10, 1000,
                                         missing=1),
        drain=report.DrainResult(backlog=5000, confirmed=4000, seconds=5.0),
        notes=["a note"],
    )
    text = report.table(rep)
    assert "40 %" in text and ">=35 %" in text and "ok" in text
    assert "p99 60.0 ms (target < 50) MISSED" in text
    assert "1 never projected" in text and "800 commands/s" in text and "note: a note" in text
    data = json.loads(report.write_json(rep, tmp_path / "r" / "bench.json").read_text())
    assert data["classes"][1]["ratio"] == pytest.approx(0.4)
    assert data["classes"][2]["p50_ms"] is None  # no samples: null, never NaN
    assert data["drain"]["rate"] == 800.0 and data["drain"]["meets"] is True
    assert data["projection"]["meets"] is False  # one command never reached the read model


def test_principal_budget_never_exceeds_the_limit_within_a_window() -> None:
    budget = PrincipalBudget(count=3, limit=2, window_s=60)
    picked = [budget.next(now=120.0) for _ in range(6)]
    assert sorted(picked) == [0, 0, 1, 1, 2, 2] and budget.exhausted == 0
    budget.next(now=121.0)  # all three used up in this window
    assert budget.exhausted == 1
    assert budget.next(now=180.0) in (0, 1, 2) and budget.exhausted == 1  # a new window


def test_shape_ramps_holds_spikes_and_ends() -> None:
    total, peak = 60.0, 30
    assert stages.plan(0, total, peak) == (18, 6.0)
    assert stages.plan(30, total, peak)[0] == 18
    assert stages.plan(40, total, peak)[0] == 30  # the spike
    assert stages.plan(50, total, peak)[0] == 18
    assert stages.plan(58, total, peak)[0] == 6
    assert stages.plan(60, total, peak) is None
