"""LoanPoolContract: apply, approve (disburse), repay, queries, limits."""

from __future__ import annotations

import secrets

import pytest

from shared.chain.port import BusinessRejection, Committed, ServiceIdentity
from shared.domain import loans
from shared.domain.accounts import LOAN_POOL, coins
from tests.integration.chain.support import ADMIN, PARTNER, SUPER, Chain

C = "LoanPoolContract"
HASH = "c0ffee" * 10 + "abcd"


def make_trusted(chain: Chain, user: str) -> int:
    """Parent + spouse + sibling confirmed: 10 + 30 + 25 + 15 = 80 (≥ 75)."""
    for kind in ("PARENT_OF", "SPOUSE_OF", "SIBLING_OF"):
        relative = chain.create_user()
        rel = chain.call("IdentityContract", "RequestRelationship", relative, user, kind,
                         identity=PARTNER).result["relationshipID"]
        chain.call("IdentityContract", "ConfirmRelationship", rel, user, identity=PARTNER)
    score = int(chain.query("IdentityContract", "GetTrustScore", user)["trustScore"])
    assert score == 80
    return score


def apply(
    chain: Chain, borrower: str, amount: int = coins(500), collateral: str = HASH,
    tx_id: str | None = None,
) -> Committed:
    return chain.call(C, "ApplyForLoan", borrower, amount, collateral, identity=PARTNER,
                      tx_id=tx_id)


def refused(
    chain: Chain, code: str, function: str, *args: object,
    identity: ServiceIdentity = PARTNER,
) -> None:
    with pytest.raises(BusinessRejection) as info:
        chain.call(C, function, *args, identity=identity)
    assert info.value.code == code, info.value.message


def test_apply_approve_repay(booted: Chain) -> None:
    borrower = booted.create_user()
    make_trusted(booted, borrower)
    supply, pool = booted.total_supply(), booted.balance(LOAN_POOL)

    tx_id = secrets.token_hex(32)
    committed = apply(booted, borrower, tx_id=tx_id)
    loan_id = committed.result["loanID"]
    assert loan_id == loans.loan_id(tx_id) and committed.result["status"] == "PendingApproval"
    assert committed.event is not None and committed.event.name == "LoanApplicationReceived"
    assert committed.event.payload["trustScore"] == 80
    loan = booted.query(C, "GetLoan", loan_id)
    assert loan["status"] == "PendingApproval" and loan["amount"] == coins(500)
    assert loan["collateralHash"] == HASH and loan["approvedAt"] is None
    assert booted.balance(borrower) == 0  # nothing moves before approval

    refused(booted, "NOT_AUTHORIZED", "ApproveLoan", loan_id, identity=PARTNER)
    committed = booted.call(C, "ApproveLoan", loan_id, identity=ADMIN)
    assert committed.result == {"loanID": loan_id, "status": "Active"}
    event = committed.event
    assert event is not None and event.name == "LoanApproved"
    assert (event.payload["fromID"], event.payload["toID"], event.payload["amount"]) == (
        LOAN_POOL, borrower, coins(500))
    assert booted.balance(borrower) == coins(500)
    assert booted.balance(LOAN_POOL) == pool - coins(500)
    refused(booted, "INVALID_STATE", "ApproveLoan", loan_id, identity=ADMIN)

    refused(booted, "NOT_AUTHORIZED", "RepayLoan", loan_id, "someone-else")
    committed = booted.call(C, "RepayLoan", loan_id, borrower, identity=PARTNER)
    assert committed.result["status"] == "Paid" and committed.result["repaidAmount"] == coins(500)
    assert committed.event is not None and committed.event.name == "LoanRepaid"
    assert booted.balance(borrower) == 0 and booted.balance(LOAN_POOL) == pool  # 0% interest
    assert booted.total_supply() == supply
    refused(booted, "INVALID_STATE", "RepayLoan", loan_id, borrower)
    loan = booted.query(C, "GetLoan", loan_id)
    assert loan["status"] == "Paid" and loan["paidAt"] is not None


def test_application_rejections(booted: Chain) -> None:
    untrusted = booted.create_user()
    refused(booted, "NOT_AUTHORIZED", "ApplyForLoan", untrusted, coins(500), HASH)  # score 10
    borrower = booted.create_user()
    make_trusted(booted, borrower)
    refused(booted, "INVALID_ARGUMENT", "ApplyForLoan", borrower, coins(100) - 1, HASH)
    refused(booted, "INVALID_ARGUMENT", "ApplyForLoan", borrower, coins(1_000_000) + 1, HASH)
    refused(booted, "INVALID_ARGUMENT", "ApplyForLoan", borrower, coins(500), "abc")
    refused(booted, "INVALID_ARGUMENT", "ApplyForLoan", borrower, "12.5", HASH)
    refused(booted, "INVALID_AMOUNT", "ApplyForLoan", borrower, "0", HASH)
    refused(booted, "NOT_FOUND", "ApplyForLoan", "ghost", coins(500), HASH)
    apply(booted, borrower, coins(100))
    apply(booted, borrower, coins(1_000_000))  # both bounds are inclusive


def test_at_most_five_open_loans_and_the_limit_is_a_parameter(booted: Chain) -> None:
    borrower = booted.create_user()
    make_trusted(booted, borrower)
    ids = [apply(booted, borrower).result["loanID"] for _ in range(5)]
    refused(booted, "INVALID_STATE", "ApplyForLoan", borrower, coins(500), HASH)
    # Paying one back frees a slot.
    booted.call(C, "ApproveLoan", ids[0], identity=ADMIN)
    booted.call(C, "RepayLoan", ids[0], borrower, identity=PARTNER)
    apply(booted, borrower)
    booted.call("AdminContract", "UpdateSystemParameter", "maxConcurrentLoans", "7", identity=ADMIN)
    apply(booted, borrower)
    mine = booted.query(C, "GetMyLoans", borrower)
    assert len(mine) == 7 and [m["status"] for m in mine].count("Paid") == 1
    assert booted.query(C, "GetMyLoans", "nobody") == []


def test_approval_rechecks_the_trust_score(booted: Chain) -> None:
    borrower = booted.create_user()
    make_trusted(booted, borrower)
    loan_id = apply(booted, borrower).result["loanID"]
    # Governance raises the bar between application and approval.
    booted.call("AdminContract", "UpdateSystemParameter", "loanMinTrustScore", "90",
                identity=ADMIN)
    refused(booted, "NOT_AUTHORIZED", "ApproveLoan", loan_id, identity=ADMIN)
    assert booted.query(C, "GetLoan", loan_id)["status"] == "PendingApproval"


def test_frozen_borrower_cannot_be_disbursed_or_repay(booted: Chain) -> None:
    borrower = booted.create_user()
    make_trusted(booted, borrower)
    loan_id = apply(booted, borrower).result["loanID"]
    booted.call("TokenomicsContract", "FreezeWallet", borrower, "investigation", identity=SUPER)
    refused(booted, "ACCOUNT_FROZEN", "ApproveLoan", loan_id, identity=ADMIN)
    booted.call("TokenomicsContract", "UnfreezeWallet", borrower, identity=SUPER)
    booted.call(C, "ApproveLoan", loan_id, identity=ADMIN)
    spender = booted.create_user()
    booted.call("TokenomicsContract", "TransferWithFees", borrower, spender, coins(400), "", "",
                "", identity=ADMIN)
    refused(booted, "INSUFFICIENT_FUNDS", "RepayLoan", loan_id, borrower)
    assert booted.query(C, "GetLoan", loan_id)["status"] == "Active"


def test_queries_reject_unknown_loans(booted: Chain) -> None:
    with pytest.raises(BusinessRejection) as info:
        booted.query(C, "GetLoan", "LOAN_nope")
    assert info.value.code == "NOT_FOUND"
