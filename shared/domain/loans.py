"""Interest-free loan pool: the pure rules (spec/rules.md §4).

Shared by the embedded LoanPoolContract and the backend's pre-checks. Amounts are integer Qirat.
Status vocabulary is exactly the chain's (gaps.md B13): PendingApproval, Active, Paid, Defaulted.
Loans are disbursed from and repaid to `SYSTEM_LOAN_POOL` with 0% interest.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from shared.domain import money
from shared.domain.accounts import LOAN_POOL
from shared.domain.errors import InvalidAmount, InvalidState, NotAuthorized, RuleViolation
from shared.domain.money import QIRAT_PER_COIN
from shared.domain.parameters import Params

LOAN_POOL_ACCOUNT = LOAN_POOL

# The chain's bounds (rules.md §4 "Amount (chain)": 100 ≤ amount ≤ 1,000,000 coins). The seed's
# loanMinimumAmount/loanMaximumAmount are in 10^5 Qirat and disagree (gaps.md D6); not used.
# These are the defaults; the chain reads the live values from the parameter catalogue
# (loanMinAmount, loanMaxAmount, loanMinTrustScore, maxConcurrentLoans) via `limits_from`.
MIN_LOAN_QIRAT = 100 * QIRAT_PER_COIN
MAX_LOAN_QIRAT = 1_000_000 * QIRAT_PER_COIN
#: Trust score needed at application and again at approval.
MIN_TRUST_SCORE = 75
#: The later chain's per-borrower cap on open (PendingApproval or Active) loans, configurable.
MAX_CONCURRENT_LOANS = 5

_HASH = re.compile(r"^[0-9a-fA-F]{64}$")
_LOAN_NAMESPACE = uuid.UUID("2b7e4a61-93c1-4f0e-8d3a-5c1f9e2a7d40")


class LoanStatus(str, Enum):
    PENDING_APPROVAL = "PendingApproval"
    ACTIVE = "Active"
    PAID = "Paid"
    DEFAULTED = "Defaulted"


#: Statuses that count against the concurrent-loan limit.
OPEN_STATUSES = frozenset({LoanStatus.PENDING_APPROVAL.value, LoanStatus.ACTIVE.value})


class LoanRejected(RuleViolation):
    """A loan rule failed; `reason` names which one."""


@dataclass(frozen=True, slots=True)
class LoanLimits:
    min_amount: int = MIN_LOAN_QIRAT
    max_amount: int = MAX_LOAN_QIRAT
    min_trust_score: int = MIN_TRUST_SCORE
    max_concurrent: int = MAX_CONCURRENT_LOANS


DEFAULT_LIMITS = LoanLimits()


def limits_from(params: Params) -> LoanLimits:
    """The limits currently in force on chain (governance may change them)."""
    return LoanLimits(
        min_amount=params.num("loanMinAmount"),
        max_amount=params.num("loanMaxAmount"),
        min_trust_score=params.num("loanMinTrustScore"),
        max_concurrent=params.num("maxConcurrentLoans"),
    )


def parse_amount(raw: Any) -> int:
    """A chain argument of digits (or an int) as Qirat; anything else is rejected."""
    try:
        return money.parse(raw, allow_zero=True)
    except money.AmountError as exc:
        raise InvalidAmount(str(exc), reason="INVALID_AMOUNT") from None


def check_trust(trust_score: int, limits: LoanLimits = DEFAULT_LIMITS) -> None:
    if trust_score < limits.min_trust_score:
        raise NotAuthorized(
            f"trust score {trust_score} is below the required {limits.min_trust_score}",
            reason="TRUST_SCORE_TOO_LOW", trust_score=trust_score,
        )


def check_application(
    *, amount: int, collateral_hash: str, trust_score: int, open_loans: int,
    limits: LoanLimits = DEFAULT_LIMITS,
) -> None:
    """Everything ApplyForLoan checks besides the borrower's existence and status."""
    if not limits.min_amount <= amount <= limits.max_amount:
        raise LoanRejected(
            f"amount must be between {limits.min_amount} and {limits.max_amount} Qirat",
            reason="LOAN_AMOUNT_OUT_OF_RANGE", amount=amount,
        )
    if not isinstance(collateral_hash, str) or not _HASH.match(collateral_hash):
        raise LoanRejected("collateralHash must be 64 hex characters (SHA-256)",
                           reason="INVALID_COLLATERAL_HASH")
    check_trust(trust_score, limits)
    if open_loans >= limits.max_concurrent:
        raise InvalidState(f"at most {limits.max_concurrent} open loans per borrower",
                           reason="TOO_MANY_LOANS", open_loans=open_loans)


def count_open(statuses: Iterable[str]) -> int:
    return sum(1 for s in statuses if s in OPEN_STATUSES)


def check_approval(status: str, trust_score: int, limits: LoanLimits = DEFAULT_LIMITS) -> None:
    """ApproveLoan: only a PendingApproval loan, and the trust score is checked again."""
    if status != LoanStatus.PENDING_APPROVAL.value:
        raise InvalidState(f"the loan is {status}, not PendingApproval",
                           reason="LOAN_WRONG_STATUS", status=status)
    check_trust(trust_score, limits)


def check_repayment(*, status: str, borrower_id: str, actor_id: str) -> None:
    """RepayLoan: only the borrower, only an Active loan, always the full amount (0% interest)."""
    if actor_id != borrower_id:
        raise NotAuthorized("only the borrower may repay this loan", reason="NOT_BORROWER")
    if status != LoanStatus.ACTIVE.value:
        raise InvalidState(f"the loan is {status}, not Active",
                           reason="LOAN_WRONG_STATUS", status=status)


def repayment_amount(principal: int) -> int:
    """The amount owed: the principal, as the pool charges no interest (loanInterestRateBps 0)."""
    return principal


def loan_id(chain_tx_id: str) -> str:
    """`LOAN_<uuid>`, a pure function of the chain tx id (re-execution reproduces it)."""
    return f"LOAN_{uuid.uuid5(_LOAN_NAMESPACE, chain_tx_id)}"
