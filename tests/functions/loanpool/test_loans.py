"""Loan pool functions against real PostgreSQL/Redis: the application's pre-checks (borrower,
bounds in Qirat, collateral hash, projected trust score, open loans), admin approval, repayment by
the borrower, and who may read a loan."""

from __future__ import annotations

from tests.functions.organization import world
from tests.functions.organization.world import accepted, problem

GX = 1_000_000
HASH = "ab" * 32


def apply(caller: world.User, body: dict) -> object:  # type: ignore[type-arg]
    return caller.call("apply_for_loan", "POST", "/api/v1/loans", json=body)


def test_apply_queues_the_borrower_explicitly() -> None:
    x = world.user(trust=80)
    body = accepted(apply(x, {"amount": str(100 * GX), "collateralHash": HASH,
                              "borrowerId": x.profile_id}))
    assert body["type"] == "APPLY_FOR_LOAN"
    (cmd,) = world.commands(x, "APPLY_FOR_LOAN")
    assert cmd["payload"] == {"borrowerId": x.chain_id, "amount": str(100 * GX),
                              "collateralHash": HASH}
    assert cmd["aggregate_key"] == f"borrower:{x.chain_id}"


def test_apply_refusals() -> None:
    low = world.user(trust=74)
    resp = apply(low, {"amount": str(100 * GX), "collateralHash": HASH})
    body = problem(resp, 403, "TRUST_SCORE_TOO_LOW")
    assert body["requiredTrustScore"] == 75 and body["trustScore"] == 74
    x = world.user(trust=80)
    problem(apply(x, {"amount": str(99 * GX), "collateralHash": HASH}), 422,
            "LOAN_AMOUNT_OUT_OF_RANGE")
    problem(apply(x, {"amount": str(1_000_001 * GX), "collateralHash": HASH}), 422,
            "LOAN_AMOUNT_OUT_OF_RANGE")
    problem(apply(x, {"amount": "100.5", "collateralHash": HASH}), 422)
    problem(apply(x, {"amount": str(100 * GX), "collateralHash": "xyz"}), 422)
    problem(apply(x, {"amount": str(100 * GX), "collateralHash": HASH.upper()}), 422)
    other = world.user()
    problem(apply(x, {"amount": str(100 * GX), "collateralHash": HASH,
                      "borrowerId": other.profile_id}), 403, "NOT_BORROWER")
    pending = world.user(status="APPROVED_PENDING_ONCHAIN", on_chain=False)
    problem(apply(pending, {"amount": str(100 * GX), "collateralHash": HASH}), 409,
            "USER_NOT_ACTIVE")
    assert world.commands(x, "APPLY_FOR_LOAN") == []


def test_open_loans_are_limited() -> None:
    x = world.user(trust=90)
    for _ in range(5):
        world.loan(x, amount=100 * GX)
    problem(apply(x, {"amount": str(100 * GX), "collateralHash": HASH}), 409, "TOO_MANY_LOANS")


def test_admin_approves_a_pending_loan_once() -> None:
    x = world.user(trust=80)
    loan = world.loan(x, amount=200 * GX)
    path = f"/api/v1/loans/{loan}/approve"
    admin = world.user(role="ADMIN", on_chain=False)
    body = accepted(admin.call("approve_loan", "POST", path))
    assert body["loanId"] == loan
    (cmd,) = world.commands(admin, "APPROVE_LOAN")
    assert cmd["payload"] == {"loanId": loan} and cmd["request_id"] == f"loan-approve:{loan}"
    problem(admin.call("approve_loan", "POST", path), 409, "APPROVAL_PENDING")
    problem(admin.call("approve_loan", "POST", "/api/v1/loans/LOAN_none/approve"), 404,
            "LOAN_NOT_FOUND")
    active = world.loan(x, amount=200 * GX, status="Active")
    problem(admin.call("approve_loan", "POST", f"/api/v1/loans/{active}/approve"), 409,
            "LOAN_WRONG_STATUS")
    fallen = world.user(trust=60)
    theirs = world.loan(fallen, amount=200 * GX)
    problem(admin.call("approve_loan", "POST", f"/api/v1/loans/{theirs}/approve"), 403,
            "TRUST_SCORE_TOO_LOW")


def test_only_the_borrower_repays_an_active_loan_they_can_cover() -> None:
    x = world.user(trust=80, balance=500 * GX)
    loan = world.loan(x, amount=200 * GX, status="Active")
    path = f"/api/v1/loans/{loan}/repay"
    problem(world.user().call("repay_loan", "POST", path), 403, "NOT_BORROWER")
    accepted(x.call("repay_loan", "POST", path))
    (cmd,) = world.commands(x, "REPAY_LOAN")
    assert cmd["payload"] == {"loanId": loan, "borrowerId": x.chain_id}
    problem(x.call("repay_loan", "POST", path), 409, "REPAYMENT_PENDING")
    waiting = world.loan(x, amount=200 * GX)
    problem(x.call("repay_loan", "POST", f"/api/v1/loans/{waiting}/repay"), 409,
            "LOAN_WRONG_STATUS")
    poor = world.user(trust=80, balance=10 * GX)
    big = world.loan(poor, amount=200 * GX, status="Active")
    problem(poor.call("repay_loan", "POST", f"/api/v1/loans/{big}/repay"), 422,
            "INSUFFICIENT_FUNDS")


def test_a_loan_is_read_by_its_borrower_or_an_admin() -> None:
    x = world.user(trust=80)
    loan = world.loan(x, amount=150 * GX)
    older = world.loan(x, amount=100 * GX, status="Paid")
    got = x.call("get_loan", "GET", f"/api/v1/loans/{loan}").get_json()["loan"]
    assert got["status"] == "PendingApproval" and got["amount"] == str(150 * GX)
    admin = world.user(role="ADMIN", on_chain=False)
    assert admin.call("get_loan", "GET", f"/api/v1/loans/{loan}").status_code == 200
    problem(world.user().call("get_loan", "GET", f"/api/v1/loans/{loan}"), 404, "LOAN_NOT_FOUND")
    listed = x.call("list_user_loans", "GET", f"/api/v1/users/{x.profile_id}/loans").get_json()
    assert {loan_["loanId"] for loan_ in listed["loans"]} == {loan, older}
    paid = x.call("list_user_loans", "GET",
                  f"/api/v1/users/{x.profile_id}/loans?status=Paid").get_json()
    assert [loan_["loanId"] for loan_ in paid["loans"]] == [older]
    problem(x.call("list_user_loans", "GET", f"/api/v1/users/{x.profile_id}/loans?status=PAID"),
            422)
    assert admin.call("list_user_loans", "GET",
                      f"/api/v1/users/{x.profile_id}/loans").status_code == 200
