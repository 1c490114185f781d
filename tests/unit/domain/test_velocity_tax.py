"""Velocity tax bands, eligibility and timer (rules.md §2.2)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import velocity_tax as vt
from shared.domain.accounts import coins
from shared.domain.parameters import Params

P = Params()


@pytest.mark.parametrize(
    ("balance", "bps"),
    [(coins(100) - 1, 0), (coins(100), 250), (coins(1_000) - 1, 250), (coins(1_000), 300),
     (coins(5_000), 350), (coins(10_000), 400), (coins(25_000), 450), (coins(50_000), 550),
     (coins(99_999), 550), (coins(100_000), 600), (coins(10**9), 600)],
)
def test_bands(balance: int, bps: int) -> None:
    assert vt.band_rate_bps(balance, P) == bps


def test_clamped_by_min_and_max_parameters() -> None:
    p = Params({"velocityTaxMinBps": "300", "velocityTaxMaxBps": "400"})
    assert vt.band_rate_bps(coins(100), p) == 300
    assert vt.band_rate_bps(coins(10**6), p) == 400


def test_compute_splits_between_treasury_and_redistribution() -> None:
    quote = vt.compute(coins(2_000) + 7, P)
    assert quote.rate_bps == 300 and quote.tax == (coins(2_000) + 7) * 300 // 10_000
    assert quote.govt_share == quote.tax // 2
    assert quote.govt_share + quote.redistribution_share == quote.tax
    assert vt.compute(coins(50), P).tax == 0


def test_eligibility() -> None:
    today = date(2026, 1, 1)
    base = {"account_id": "u", "exempt": False, "balance": coins(500), "today": today, "params": P}
    assert not vt.eligibility(**{**base, "account_id": "SYSTEM_GX_POOL"}, timer_start="2024-01-01").eligible  # type: ignore[arg-type]
    assert not vt.eligibility(**{**base, "exempt": True}, timer_start="2024-01-01").eligible  # type: ignore[arg-type]
    assert vt.eligibility(**base, timer_start=None).reason == "Velocity tax timer not started"  # type: ignore[arg-type]
    waiting = vt.eligibility(**base, timer_start="2025-01-07")  # type: ignore[arg-type]
    assert not waiting.eligible and waiting.days_since_timer_start == 359 and waiting.days_remaining == 1
    due = vt.eligibility(**base, timer_start="2025-01-06")  # type: ignore[arg-type]
    assert due.eligible and due.days_remaining == 0
    poor = vt.eligibility(**{**base, "balance": coins(99)}, timer_start="2020-01-01")  # type: ignore[arg-type]
    assert not poor.eligible


def test_timer() -> None:
    today = date(2026, 5, 1)
    assert vt.next_timer(None, coins(100), today, P) == "2026-05-01"
    assert vt.next_timer("2026-01-01", coins(150), today, P) == "2026-01-01"
    assert vt.next_timer("2026-01-01", coins(99), today, P) is None


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=10**19))
def test_tax_never_exceeds_six_percent(balance: int) -> None:
    quote = vt.compute(balance, P)
    assert 0 <= quote.tax <= balance * 600 // 10_000
    assert quote.govt_share + quote.redistribution_share == quote.tax
