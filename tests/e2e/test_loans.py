"""Loans through `make run` (issue 10, acceptance 2), as clients would use them.

A borrower below the trust threshold is refused with a clear 403 before anything is queued; the
borrower then reaches 80 (base 10 + parent 30 + spouse 25 + sibling 15) through relationships the
other users confirm, applies, an admin approves: the borrower's balance rises by the amount and
SYSTEM_LOAN_POOL falls by it; repaying restores both. Loan ids are the chain's LOAN_<uuid>.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.e2e.conftest import LiveSystem
from tests.e2e.test_organizations import confirmed, found, key
from tests.e2e.test_vertical_slice import Client, admin_client, balance, eventually, onboard

pytestmark = pytest.mark.e2e
GX = 1_000_000
LOAN_POOL = "SYSTEM_LOAN_POOL"


def pool_balance(client: Client) -> int:
    pools = client.json("GET", "/api/v1/tokenomics/pools")["pools"]
    return int(next(p for p in pools if p["accountId"] == LOAN_POOL)["balance"])


def test_trust_loan_approval_and_repayment(live_system: LiveSystem) -> None:
    admin = admin_client(live_system)
    eventually(lambda: admin.json("GET", "/api/v1/system/status")["bootstrapped"], what="bootstrap")
    x, xp = onboard(live_system, admin, "borrower")
    kin = [onboard(live_system, admin, n) for n in ("parent", "spouse", "sibling")]
    me = xp["profileId"]
    eventually(lambda: balance(x, me) == 500 * GX, what="genesis")
    amount = 100 * GX
    application = {"amount": str(amount),
                   "collateralHash": hashlib.sha256(me.encode()).hexdigest()}

    refused = x.call("POST", "/api/v1/loans", application, headers=key())
    body = refused.json()
    assert refused.status == 403 and body["code"] == "TRUST_SCORE_TOO_LOW", body
    assert body["requiredTrustScore"] == 75

    for (other, profile), kind in zip(kin, ("CHILD_OF", "SPOUSE_OF", "SIBLING_OF"), strict=True):
        asked = confirmed(x, "/api/v1/relationships",
                          {"objectId": profile["profileId"], "type": kind})
        rel_id = asked["result"]["ids"]["relationshipID"]
        eventually(lambda o=other, p=profile, r=rel_id: any(  # type: ignore[misc]
            rel["relationshipId"] == r
            for rel in o.json("GET", f"/api/v1/users/{p['profileId']}/relationships")[
                "relationships"]), what="relationship projected")
        confirmed(other, f"/api/v1/relationships/{rel_id}/confirm")
    score = eventually(lambda: (s := x.json("GET", f"/api/v1/users/{me}/trust-score")[
        "trustScore"])["trustScore"] == 80 and s, what="trust score 80")
    assert score["loanEligible"] and score["family"] == 70

    applied = confirmed(x, "/api/v1/loans", application)
    loan_id = applied["result"]["ids"]["loanID"]
    assert loan_id.startswith("LOAN_")
    loan_path = f"/api/v1/loans/{loan_id}"
    loan = eventually(lambda: (f := found(x, loan_path)) and f["loan"], what="application")
    assert loan["status"] == "PendingApproval" and loan["amount"] == str(amount)
    outsider = kin[0][0].call("GET", loan_path)
    assert outsider.status == 404
    early_repay = x.call("POST", f"{loan_path}/repay", headers=key())
    assert early_repay.status == 409, early_repay.json()

    balance_before, pool_before = balance(x, me), pool_balance(x)
    confirmed(admin, f"{loan_path}/approve")
    eventually(lambda: x.json("GET", loan_path)["loan"]["status"] == "Active", what="approval")
    eventually(lambda: balance(x, me) == balance_before + amount
               and pool_balance(x) == pool_before - amount, what="disbursement projected")
    loans = x.json("GET", f"/api/v1/users/{me}/loans")["loans"]
    assert [(loan["loanId"], loan["status"]) for loan in loans] == [(loan_id, "Active")]

    confirmed(x, f"{loan_path}/repay")
    eventually(lambda: admin.json("GET", loan_path)["loan"]["status"] == "Paid", what="repayment")
    eventually(lambda: balance(x, me) == balance_before and pool_balance(x) == pool_before,
               what="repayment projected")
