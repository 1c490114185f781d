"""Genesis distribution (rules.md §3.2-§3.3): six phases, per-country quotas, the age band.

Resolutions (gaps D3, D13): the chain's six phases (500/400/300/200/100/50 coins per user, 50
coins per user to the national treasury, 10 in phase 6), not the seed's tiers; phase 0 (age not
eligible, or every phase of the country exhausted) pays nothing and still marks genesis as done.
Country quotas are `floor(phase_limit * populationPct)` users per phase, and each country moves
through its phases on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from shared.domain.errors import INVALID_ARGUMENT, RuleViolation
from shared.domain.money import QIRAT_PER_COIN


@dataclass(frozen=True, slots=True)
class Phase:
    number: int
    users: int  # how many users the phase covers worldwide
    user_amount: int  # Qirat per user
    treasury_amount: int  # Qirat per user to the national treasury


PHASES: tuple[Phase, ...] = (
    Phase(1, 100_000_000, 500 * QIRAT_PER_COIN, 50 * QIRAT_PER_COIN),
    Phase(2, 200_000_000, 400 * QIRAT_PER_COIN, 50 * QIRAT_PER_COIN),
    Phase(3, 300_000_000, 300 * QIRAT_PER_COIN, 50 * QIRAT_PER_COIN),
    Phase(4, 400_000_000, 200 * QIRAT_PER_COIN, 50 * QIRAT_PER_COIN),
    Phase(5, 1_550_000_000, 100 * QIRAT_PER_COIN, 50 * QIRAT_PER_COIN),
    Phase(6, 2_450_000_000, 50 * QIRAT_PER_COIN, 10 * QIRAT_PER_COIN),
)


@dataclass(frozen=True, slots=True)
class Grant:
    phase: int  # 0 = nothing paid
    eligible: bool
    user_amount: int
    treasury_amount: int


def parse_share(value: object) -> Fraction:
    """A population share in [0, 1], exact (a decimal string or number such as "0.13464767")."""
    try:
        share = Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        raise RuleViolation(f"population share must be a decimal, got {value!r}",
                            code=INVALID_ARGUMENT) from None
    if not 0 <= share <= 1:
        raise RuleViolation(f"population share must be between 0 and 1, got {value}",
                            code=INVALID_ARGUMENT)
    return share


def phase_allocations(share: Fraction) -> list[int]:
    """Users per phase for a country with this share of the world's population."""
    return [int(p.users * share) for p in PHASES]  # int() floors a non-negative Fraction


def age_eligible(age: int, min_age: int, max_age: int) -> bool:
    return min_age <= age <= max_age


def grant(age: int, remaining: Sequence[int], *, min_age: int, max_age: int) -> Grant:
    """What a user receives: the first phase whose country quota is not used up."""
    if not age_eligible(age, min_age, max_age):
        return Grant(0, False, 0, 0)
    for phase, left in zip(PHASES, remaining, strict=True):
        if left > 0:
            return Grant(phase.number, True, phase.user_amount, phase.treasury_amount)
    return Grant(0, False, 0, 0)


def max_pool_need(shares_total: Fraction) -> tuple[int, int]:
    """The most the genesis pools can owe for countries holding `shares_total` of the world."""
    user = sum(int(p.users * shares_total) * p.user_amount for p in PHASES)
    treasury = sum(int(p.users * shares_total) * p.treasury_amount for p in PHASES)
    return user, treasury
