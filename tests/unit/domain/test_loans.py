"""Loan pool rules: bounds, collateral hash, trust score, concurrent loans, status machine."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import loans
from shared.domain.money import QIRAT_PER_COIN
from shared.domain.errors import InvalidAmount, InvalidState, NotAuthorized, RuleViolation
from shared.domain.parameters import Params

HASH = "ab" * 32


def apply(**kw: object) -> None:
    args: dict[str, object] = {
        "amount": 500 * QIRAT_PER_COIN, "collateral_hash": HASH, "trust_score": 80, "open_loans": 0
    }
    args.update(kw)
    loans.check_application(**args)  # type: ignore[arg-type]


def test_bounds_are_the_chain_values_in_qirat() -> None:
    assert loans.MIN_LOAN_QIRAT == 100_000_000
    assert loans.MAX_LOAN_QIRAT == 1_000_000_000_000


def test_valid_application_passes_at_both_bounds() -> None:
    apply(amount=loans.MIN_LOAN_QIRAT)
    apply(amount=loans.MAX_LOAN_QIRAT, trust_score=75, open_loans=4)


@pytest.mark.parametrize(
    ("change", "error", "reason"),
    [
        ({"amount": loans.MIN_LOAN_QIRAT - 1}, RuleViolation, "LOAN_AMOUNT_OUT_OF_RANGE"),
        ({"amount": loans.MAX_LOAN_QIRAT + 1}, RuleViolation, "LOAN_AMOUNT_OUT_OF_RANGE"),
        ({"collateral_hash": "ab" * 31}, RuleViolation, "INVALID_COLLATERAL_HASH"),
        ({"collateral_hash": "zz" * 32}, RuleViolation, "INVALID_COLLATERAL_HASH"),
        ({"trust_score": 74}, NotAuthorized, "TRUST_SCORE_TOO_LOW"),
        ({"open_loans": 5}, InvalidState, "TOO_MANY_LOANS"),
    ],
)
def test_application_rejections(change: dict[str, object], error: type, reason: str) -> None:
    with pytest.raises(error) as exc:
        apply(**change)
    assert exc.value.fields["reason"] == reason


def test_limits_are_configurable() -> None:
    limits = loans.LoanLimits(max_concurrent=1, min_trust_score=90)
    with pytest.raises(InvalidState):
        loans.check_application(amount=loans.MIN_LOAN_QIRAT, collateral_hash=HASH,
                                trust_score=95, open_loans=1, limits=limits)
    with pytest.raises(NotAuthorized):
        loans.check_application(amount=loans.MIN_LOAN_QIRAT, collateral_hash=HASH,
                                trust_score=80, open_loans=0, limits=limits)


def test_limits_follow_the_parameter_catalogue() -> None:
    assert loans.limits_from(Params()) == loans.DEFAULT_LIMITS
    changed = Params({"maxConcurrentLoans": "2", "loanMinTrustScore": "80"})
    assert loans.limits_from(changed).max_concurrent == 2
    assert loans.limits_from(changed).min_trust_score == 80


def test_open_loans_count_pending_and_active_only() -> None:
    assert loans.count_open(["PendingApproval", "Active", "Paid", "Defaulted", "Active"]) == 3


def test_parse_amount() -> None:
    assert loans.parse_amount("100000000") == 100_000_000
    assert loans.parse_amount(7) == 7
    for bad in ("1.5", "-3", "", True, None, "１２"):
        with pytest.raises(InvalidAmount):
            loans.parse_amount(bad)


def test_approval_rechecks_trust_and_status() -> None:
    loans.check_approval("PendingApproval", 75)
    with pytest.raises(NotAuthorized):
        loans.check_approval("PendingApproval", 60)
    for status in ("Active", "Paid", "Defaulted"):
        with pytest.raises(InvalidState):
            loans.check_approval(status, 90)


def test_repayment_only_by_borrower_of_active_loan() -> None:
    loans.check_repayment(status="Active", borrower_id="b", actor_id="b")
    with pytest.raises(NotAuthorized):
        loans.check_repayment(status="Active", borrower_id="b", actor_id="x")
    with pytest.raises(InvalidState):
        loans.check_repayment(status="PendingApproval", borrower_id="b", actor_id="b")
    with pytest.raises(InvalidState):
        loans.check_repayment(status="Paid", borrower_id="b", actor_id="b")


@settings(max_examples=100, deadline=None)
@given(principal=st.integers(loans.MIN_LOAN_QIRAT, loans.MAX_LOAN_QIRAT))
def test_zero_interest(principal: int) -> None:
    assert loans.repayment_amount(principal) == principal


@settings(max_examples=100, deadline=None)
@given(amount=st.integers(0, 2 * loans.MAX_LOAN_QIRAT), trust=st.integers(0, 110),
       open_loans=st.integers(0, 8))
def test_application_accepts_exactly_the_documented_region(
    amount: int, trust: int, open_loans: int
) -> None:
    ok = (loans.MIN_LOAN_QIRAT <= amount <= loans.MAX_LOAN_QIRAT and trust >= 75
          and open_loans < 5)
    try:
        apply(amount=amount, trust_score=trust, open_loans=open_loans)
    except RuleViolation:
        assert not ok
    else:
        assert ok


def test_loan_id_deterministic() -> None:
    assert loans.loan_id("t") == loans.loan_id("t") != loans.loan_id("u")
    assert loans.loan_id("t").startswith("LOAN_")
