"""The velocity ("hoarding") tax (rules.md §2.2): bands, eligibility, split and the holding timer.

Resolutions taken from rules.md §2.2 (gaps D4): threshold 100 coins; the rate from the progressive
band table (lower-inclusive edges), clamped to velocityTaxMinBps..velocityTaxMaxBps; split 50 %
national treasury / 50 % redistribution; the holding period one parameter (default 360 days).
The rate is always computed here, never supplied by a caller (gaps B5).

Timer: it starts on the day a balance reaches the minimum, is cleared when the balance falls below
it, and restarts on the day the tax is applied (the event carries the new start, YYYY-MM-DD).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.domain.accounts import is_system_account
from shared.domain.money import QIRAT_PER_COIN
from shared.domain.parameters import Params

#: (lower edge in Qirat, annual rate in bps), ascending; LECTURE-13's bands.
BANDS: tuple[tuple[int, int], ...] = (
    (100 * QIRAT_PER_COIN, 250),
    (1_000 * QIRAT_PER_COIN, 300),
    (5_000 * QIRAT_PER_COIN, 350),
    (10_000 * QIRAT_PER_COIN, 400),
    (25_000 * QIRAT_PER_COIN, 450),
    (50_000 * QIRAT_PER_COIN, 550),
    (100_000 * QIRAT_PER_COIN, 600),  # lower-inclusive like every other edge (rules.md §2.2)
)


@dataclass(frozen=True, slots=True)
class TaxQuote:
    balance: int
    rate_bps: int
    tax: int
    govt_share: int
    redistribution_share: int


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    reason: str
    days_since_timer_start: int | None
    required_days: int
    days_remaining: int | None


def band_rate_bps(balance: int, params: Params) -> int:
    """The annual rate for a balance: 0 below the minimum, else its band clamped to min..max."""
    if balance < params.num("velocityTaxMinimumBalance"):
        return 0
    rate = 0
    for edge, bps in BANDS:
        if balance >= edge:
            rate = bps
    rate = rate or BANDS[0][1]  # a minimum parameter below 100 coins still pays the first band
    return max(params.num("velocityTaxMinBps"), min(rate, params.num("velocityTaxMaxBps")))


def compute(balance: int, params: Params) -> TaxQuote:
    """The tax on `balance` and how it splits; never more than the balance."""
    rate = band_rate_bps(balance, params)
    tax = balance * rate // 10_000
    govt = tax * params.num("velocityTaxTreasuryPct") // 100
    return TaxQuote(balance, rate, tax, govt, tax - govt)


def next_timer(timer_start: str | None, balance: int, today: date, params: Params) -> str | None:
    """The timer after a balance change: started at the minimum, cleared below it."""
    if balance < params.num("velocityTaxMinimumBalance"):
        return None
    return timer_start or today.isoformat()


def eligibility(
    *,
    account_id: str,
    exempt: bool,
    timer_start: str | None,
    balance: int,
    today: date,
    params: Params,
) -> Eligibility:
    """Whether the tax is due now (rules.md §2.2 "Required eligibility algorithm")."""
    required = params.num("velocityTaxPeriodDays")
    if is_system_account(account_id) or exempt:
        return Eligibility(False, "Account is exempt from velocity tax", None, required, None)
    if balance < params.num("velocityTaxMinimumBalance"):
        return Eligibility(False, "Balance below threshold", None, required, None)
    if not timer_start:
        return Eligibility(False, "Velocity tax timer not started", None, required, None)
    days = (today - date.fromisoformat(timer_start)).days
    if days < required:
        return Eligibility(False, "Holding period not reached", days, required, required - days)
    return Eligibility(True, "Eligible", days, required, 0)
