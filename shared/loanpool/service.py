"""Loan pool use cases: apply, approve, repay, and the borrower's loans.

An application is checked before the outbox with the very rules the chain runs
(shared.domain.loans, limits from the chain's current parameters): an ACTIVE borrower who is the
caller, the amount within bounds, a SHA-256 collateral hash, the projected trust score at least
the minimum (rm_chain_users), fewer open loans than allowed. The chain checks all of it again,
and the trust score once more at approval, when the pool disburses. Statuses are the chain's
(PendingApproval, Active, Paid, Defaulted); the chain's LOAN_<uuid> comes back in the command
status result.
"""

from __future__ import annotations

import functools
from typing import Any

from shared.auth import Principal
from shared.domain import loans
from shared.domain.errors import RuleViolation
from shared.domain.trust import BASE_SCORE
from shared.errors import Forbidden, NotFound, ValidationFailed
from shared.loanpool.schemas import ApplyForLoanIn
from shared.organization import common
from shared.outbox import Enqueued
from shared.readmodels import accounts
from shared.readmodels import loans as loan_rm
from shared.readmodels.system import get_chain_user
from shared.tokenomics import parties

SOURCE = "loanpool"
_queue = functools.partial(common.queue, SOURCE)
_queue_once = functools.partial(common.queue_once, SOURCE)


class InsufficientFunds(ValidationFailed):
    code = "INSUFFICIENT_FUNDS"


def _limits() -> loans.LoanLimits:
    return loans.limits_from(parties.params())


def trust_score(chain_id: str) -> int:
    """The projected score; a user whose score was never projected has the chain's base score."""
    user = get_chain_user(chain_id, tenant=common.tenant())
    if user is None or user["trustScore"] is None:
        return BASE_SCORE
    return int(user["trustScore"])





def apply(caller: Principal, body: ApplyForLoanIn, *, idempotency_key: str) -> Enqueued:
    me = common.actor(caller)
    if body.borrower_id is not None and body.borrower_id not in (me.profile_id, me.chain_id):
        raise Forbidden("you can only apply for a loan for yourself", code="NOT_BORROWER")
    score = trust_score(me.chain_id)
    open_loans = loans.count_open(
        loan["status"] for loan in loan_rm.list_loans(borrower_id=me.chain_id, limit=100,
                                                      tenant=common.tenant()))
    limits = _limits()
    try:
        loans.check_application(amount=body.amount, collateral_hash=body.collateral_hash,
                                trust_score=score, open_loans=open_loans, limits=limits)
    except RuleViolation as exc:
        error = common.refusal(exc, field="amount")
        if error.code == "TRUST_SCORE_TOO_LOW":
            error.fields["requiredTrustScore"] = limits.min_trust_score
        raise error from None
    return _queue(caller, "APPLY_FOR_LOAN", {
        "borrowerId": me.chain_id, "amount": str(body.amount),
        "collateralHash": body.collateral_hash}, idempotency_key)


def _loan(loan_id: str) -> dict[str, Any]:
    loan = loan_rm.get_loan(loan_id, tenant=common.tenant())
    if loan is None:
        raise NotFound("no such loan", code="LOAN_NOT_FOUND")
    return loan


def approve(admin: Principal, loan_id: str) -> Enqueued:
    loan = _loan(loan_id)
    try:
        loans.check_approval(loan["status"], trust_score(loan["borrowerId"]), _limits())
    except RuleViolation as exc:
        raise common.refusal(exc) from None
    return _queue_once(admin, "APPROVE_LOAN", {"loanId": loan_id}, f"loan-approve:{loan_id}",
                       code="APPROVAL_PENDING", message="this loan's approval is already under way")


def repay(caller: Principal, loan_id: str) -> Enqueued:
    me = common.actor(caller)
    loan = _loan(loan_id)
    try:
        loans.check_repayment(status=loan["status"], borrower_id=loan["borrowerId"] or "",
                              actor_id=me.chain_id)
    except RuleViolation as exc:
        raise common.refusal(exc) from None
    owed = loans.repayment_amount(int(loan["amount"]))
    available = accounts.balance_of(me.chain_id, tenant=common.tenant())
    if available < owed:
        raise InsufficientFunds("your balance does not cover the repayment",
                                available=str(available), required=str(owed))
    return _queue_once(caller, "REPAY_LOAN", {"loanId": loan_id, "borrowerId": me.chain_id},
                       f"loan-repay:{loan_id}", code="REPAYMENT_PENDING",
                       message="this loan's repayment is already under way")


# --- queries -------------------------------------------------------------------------------


def loan_for(caller: Principal, loan_id: str) -> dict[str, Any]:
    """One loan, for its borrower or an admin (others get 404: a loan's existence is private)."""
    loan = loan_rm.get_loan(loan_id, tenant=common.tenant())
    if loan is not None and not caller.is_admin:
        row = common.find_user(caller.sub)
        if row is None or row["fabric_user_id"] != loan["borrowerId"]:
            loan = None
    if loan is None:
        raise NotFound("no such loan", code="LOAN_NOT_FOUND")
    return loan


def loans_of(profile_id: str, *, status: str | None, limit: int) -> list[dict[str, Any]]:
    chain_id = common.chain_id_of_profile(profile_id)
    if chain_id is None:
        return []
    return loan_rm.list_loans(borrower_id=chain_id, status=status, limit=limit,
                              tenant=common.tenant())
