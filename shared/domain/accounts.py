"""Account ids, account types, the pre-minted pools and the fixed supply (overview.md §1, rules.md §3.1).

Where the sources disagree (gaps.md D2) the chain's values are used, as rules.md §3.1 resolves:
1.25 trillion coins in total, the government pool 152B (not LECTURE-11's 152.5B), no minting after
bootstrap, and the seed's `totalSupplyCap` ignored.
"""

from __future__ import annotations

import re
from enum import Enum

from shared.domain.money import MAX_QIRAT, QIRAT_PER_COIN

#: No balance or amount may exceed the one maximum (`shared.domain.money`).
MAX_AMOUNT = MAX_QIRAT

USER_GENESIS_POOL = "SYSTEM_USER_GENESIS_POOL"
LOAN_POOL = "SYSTEM_LOAN_POOL"
CHARITABLE_POOL = "SYSTEM_CHARITABLE_POOL"
GOVT_GENESIS_POOL = "SYSTEM_GOVT_GENESIS_POOL"
GX_POOL = "SYSTEM_GX_POOL"
OPERATIONS_FUND = "SYSTEM_OPERATIONS_FUND"
MINTER = "SYSTEM_MINTER"

#: The fee collector (rules.md §1.2: `SYSTEM_OPERATIONS_FUND` is credited `totalFee`).
FEE_COLLECTOR = OPERATIONS_FUND

#: Pools pre-minted by BootstrapSystem, in Qirat (overview.md §1). They sum to TOTAL_SUPPLY.
POOL_ALLOCATIONS: dict[str, int] = {
    USER_GENESIS_POOL: 577_500_000_000 * QIRAT_PER_COIN,  # 46.2 %
    LOAN_POOL: 312_500_000_000 * QIRAT_PER_COIN,  # 25 %
    CHARITABLE_POOL: 158_000_000_000 * QIRAT_PER_COIN,  # 12.64 %
    GOVT_GENESIS_POOL: 152_000_000_000 * QIRAT_PER_COIN,  # 12.16 % (not 152.5B: gaps D2)
    GX_POOL: 31_250_000_000 * QIRAT_PER_COIN,  # 2.5 %
    OPERATIONS_FUND: 18_750_000_000 * QIRAT_PER_COIN,  # 1.5 %
}

#: 1.25 trillion coins (rules.md §3.1), all pre-minted at bootstrap.
TOTAL_SUPPLY = 1_250_000_000_000 * QIRAT_PER_COIN
assert sum(POOL_ALLOCATIONS.values()) == TOTAL_SUPPLY

_TREASURY = re.compile(r"^treasury_([A-Z]{2})$")


class AccountType(str, Enum):
    """What an account is; decides the fee type (rules.md §1.2) and velocity-tax subjects."""

    INDIVIDUAL = "INDIVIDUAL"
    BUSINESS = "BUSINESS"
    NGO = "NGO"
    GOVERNMENT = "GOVERNMENT"  # a government organisation
    TREASURY = "TREASURY"  # a national treasury `treasury_<CC>`
    SYSTEM = "SYSTEM"  # a SYSTEM_* pool or the minter


def treasury_id(country_code: str) -> str:
    return f"treasury_{country_code.upper()}"


def treasury_country(account_id: str) -> str | None:
    match = _TREASURY.match(account_id)
    return match.group(1) if match else None


def is_system_account(account_id: str) -> bool:
    return account_id.startswith("SYSTEM_")


def is_fee_exempt(account_id: str) -> bool:
    """System pools, treasuries and the minter never pay or cause fees (rules.md §1.2)."""
    return is_system_account(account_id) or treasury_country(account_id) is not None


def coins(amount: int) -> int:
    """Whole coins -> Qirat."""
    return amount * QIRAT_PER_COIN
