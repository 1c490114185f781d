"""LoanPoolContract: interest-free loans from SYSTEM_LOAN_POOL (spec/rules.md §4).

ApplyForLoan (the borrower, passed explicitly: gaps.md C18) -> PendingApproval; ApproveLoan
(admin) re-checks the trust score and disburses pool -> borrower -> Active; RepayLoan (the
borrower) returns the full principal (0% interest) -> Paid. Statuses are exactly the chain's
PendingApproval/Active/Paid/Defaulted (gaps.md B13); ids are LOAN_<uuid> derived from the tx id
and returned as the transaction result (gaps.md B12). Limits come from the parameter catalogue
(loanMinAmount, loanMaxAmount, loanMinTrustScore, maxConcurrentLoans) so governance can tune them.

Each event names its balance leg (fromID, toID, amount), so the read side can rebuild balances
from events alone.

Keys: loan/<loanID>, loanby/<borrowerID>/<loanID> (index for GetMyLoans and the open-loan count).
"""

from __future__ import annotations

from typing import Any

from shared.chain.embedded import ledger_ops as ops
from shared.chain.embedded.contracts.identity import require_user
from shared.chain.embedded.framework import (
    ADMINS,
    ANYONE,
    Stub,
    arg_amount,
    arg_hex64,
    arg_text,
    chaincode,
    reject,
)
from shared.domain import loans
from shared.domain.errors import ACCOUNT_LOCKED, ALREADY_EXISTS, NOT_FOUND

CONTRACT = "LoanPoolContract"
MAX_ID = 128


def loan_key(stub: Stub, loan_id: str) -> str:
    return stub.key("loan", loan_id)


def borrower_index_key(stub: Stub, borrower_id: str, loan_id: str) -> str:
    return stub.key("loanby", borrower_id, loan_id)


def require_loan(stub: Stub, loan_id: str) -> dict[str, Any]:
    loan = stub.get_json(loan_key(stub, loan_id))
    if not loan:
        reject(NOT_FOUND, f"loan {loan_id} does not exist")
    return dict(loan)


def borrower_loans(stub: Stub, borrower_id: str) -> list[dict[str, Any]]:
    found = []
    for _, ref in stub.get_by_prefix(stub.key_prefix("loanby", borrower_id)):
        loan = stub.get_json(loan_key(stub, ref["loanID"]))
        if loan:
            found.append(loan)
    return found


def _require_active_borrower(stub: Stub, borrower_id: str) -> dict[str, Any]:
    user = require_user(stub, borrower_id)
    if user["status"] != ops.ACTIVE:
        reject(ACCOUNT_LOCKED, f"user {borrower_id} is {user['status']}")
    return user


def _event(loan: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"loanID": loan["loanID"], "borrowerID": loan["borrowerID"], "amount": loan["amount"],
            "status": loan["status"], **extra}


@chaincode(CONTRACT, "ApplyForLoan", roles=ANYONE)
def apply_for_loan(
    stub: Stub, borrower_id: str, amount: str, collateral_hash: str
) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    borrower = arg_text(borrower_id, "borrowerID", max_len=MAX_ID).strip()
    value = arg_amount(amount)
    collateral = arg_hex64(collateral_hash, "collateralHash")
    user = _require_active_borrower(stub, borrower)
    open_loans = loans.count_open(loan["status"] for loan in borrower_loans(stub, borrower))
    loans.check_application(
        amount=value, collateral_hash=collateral, trust_score=int(user["trustScore"]),
        open_loans=open_loans, limits=loans.limits_from(ops.params(stub)),
    )
    loan_id = loans.loan_id(stub.tx_id)
    if stub.get_json(loan_key(stub, loan_id)):
        reject(ALREADY_EXISTS, f"loan {loan_id} already exists")
    loan = {
        "loanID": loan_id, "borrowerID": borrower, "amount": value, "collateralHash": collateral,
        "status": loans.LoanStatus.PENDING_APPROVAL.value, "interestRateBps": 0,
        "appliedAt": stub.tx_timestamp.isoformat(), "approvedAt": None, "paidAt": None,
    }
    stub.put_json(loan_key(stub, loan_id), loan)
    stub.put_json(borrower_index_key(stub, borrower, loan_id), {"loanID": loan_id})
    stub.set_event("LoanApplicationReceived", _event(
        loan, collateralHash=collateral, trustScore=int(user["trustScore"]),
        appliedAt=loan["appliedAt"],
    ))
    return {"loanID": loan_id, "status": loan["status"]}


@chaincode(CONTRACT, "ApproveLoan", roles=ADMINS)
def approve_loan(stub: Stub, loan_id: str) -> dict[str, Any]:
    loan = require_loan(stub, arg_text(loan_id, "loanID", max_len=MAX_ID))
    user = _require_active_borrower(stub, loan["borrowerID"])
    loans.check_approval(loan["status"], int(user["trustScore"]),
                         loans.limits_from(ops.params(stub)))
    remark = f"Loan Disbursement for {loan['loanID']}"
    ops.transfer(stub, loans.LOAN_POOL_ACCOUNT, loan["borrowerID"], loan["amount"],
                 kind="LOAN_DISBURSEMENT", remark=remark)
    loan.update(status=loans.LoanStatus.ACTIVE.value, approvedAt=stub.tx_timestamp.isoformat())
    stub.put_json(loan_key(stub, loan["loanID"]), loan)
    stub.set_event("LoanApproved", _event(
        loan, fromID=loans.LOAN_POOL_ACCOUNT, toID=loan["borrowerID"],
        approvedAt=loan["approvedAt"], remark=remark, approvedBy=stub.identity.value,
    ))
    return {"loanID": loan["loanID"], "status": loan["status"]}


@chaincode(CONTRACT, "RepayLoan", roles=ANYONE)
def repay_loan(stub: Stub, loan_id: str, borrower_id: str) -> dict[str, Any]:
    loan = require_loan(stub, arg_text(loan_id, "loanID", max_len=MAX_ID))
    actor = arg_text(borrower_id, "borrowerID", max_len=MAX_ID).strip()
    loans.check_repayment(status=loan["status"], borrower_id=loan["borrowerID"], actor_id=actor)
    owed = loans.repayment_amount(loan["amount"])
    remark = f"Loan Repayment for {loan['loanID']}"
    ops.transfer(stub, loan["borrowerID"], loans.LOAN_POOL_ACCOUNT, owed,
                 kind="LOAN_REPAYMENT", remark=remark)
    loan.update(status=loans.LoanStatus.PAID.value, paidAt=stub.tx_timestamp.isoformat())
    stub.put_json(loan_key(stub, loan["loanID"]), loan)
    stub.set_event("LoanRepaid", _event(
        loan, fromID=loan["borrowerID"], toID=loans.LOAN_POOL_ACCOUNT, repaidAmount=owed,
        paidAt=loan["paidAt"], remark=remark,
    ))
    return {"loanID": loan["loanID"], "status": loan["status"], "repaidAmount": owed}


@chaincode(CONTRACT, "GetLoan", roles=ANYONE, query=True)
def get_loan(stub: Stub, loan_id: str) -> dict[str, Any]:
    return require_loan(stub, arg_text(loan_id, "loanID", max_len=MAX_ID))


@chaincode(CONTRACT, "GetMyLoans", roles=ANYONE, query=True)
def get_my_loans(stub: Stub, borrower_id: str) -> list[dict[str, Any]]:
    """The borrower's loans, oldest application first."""
    borrower = arg_text(borrower_id, "borrowerID", max_len=MAX_ID).strip()
    return sorted(borrower_loans(stub, borrower),
                  key=lambda loan: (loan["appliedAt"], loan["loanID"]))
