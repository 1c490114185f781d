"""Organizations through `make run` (issue 10, acceptance 1), as clients would use them.

Three ACTIVE users propose an organization, each endorses it (a second endorsement and an early
activation are refused), it is activated, a 2-of-3 rule above 10 GX is defined, a stakeholder
funds it with a transfer, and a 50 GX multisig transfer waits Pending after the initiator's own
approval, is refused a second approval from the initiator, and executes at the second approver:
the organization's and the recipient's balances move by exactly the fee quote, and the pending
transaction's status follows (Pending -> Executed). Ids are the chain's, from the command results.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import LiveSystem
from tests.e2e.test_vertical_slice import (
    Client,
    admin_client,
    balance,
    eventually,
    finished,
    onboard,
)

pytestmark = pytest.mark.e2e
GX = 1_000_000


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"org-e2e-{uuid.uuid4()}"}


def confirmed(client: Client, path: str, body: Any = None) -> dict[str, Any]:
    accepted = client.json("POST", path, body, expect=202, headers=key())
    done = finished(client, accepted["statusUrl"])
    assert done["status"] == "CONFIRMED", (path, done)
    return {**accepted, "result": done["result"]}


def found(client: Client, path: str) -> dict[str, Any] | None:
    """The resource once the read side has it (404 until its event is projected)."""
    resp = client.call("GET", path)
    if resp.status == 404:
        return None
    assert resp.status == 200, (path, resp.status, resp.data[:300])
    return dict(resp.json())


def org_balance(client: Client, org_id: str) -> int:
    return int(client.json("GET", f"/api/v1/organizations/{org_id}/balance")["balance"]["balance"])


def test_multisig_organization_lifecycle(live_system: LiveSystem) -> None:
    admin = admin_client(live_system)
    eventually(lambda: admin.json("GET", "/api/v1/system/status")["bootstrapped"], what="bootstrap")
    (a, ap), (b, bp), (c, cp) = (onboard(live_system, admin, n) for n in ("oga", "ogb", "ogc"))
    members = [ap["profileId"], bp["profileId"], cp["profileId"]]
    eventually(lambda: balance(a, ap["profileId"]) == 500 * GX, what="genesis")

    proposed = confirmed(a, "/api/v1/organizations", {
        "orgName": "Obi & Partners", "orgType": "BUSINESS", "stakeholderIds": members})
    org_id = proposed["orgId"]
    assert proposed["result"]["ids"]["orgID"] == org_id
    org_path = f"/api/v1/organizations/{org_id}"
    org = eventually(lambda: (o := found(a, org_path)) and o["organization"], what="proposal")
    assert org["status"] == "PendingEndorsement"
    assert sorted(org["stakeholders"]) == sorted(p["fabricUserId"] for p in (ap, bp, cp))

    early = a.call("POST", f"{org_path}/activate", headers=key())
    assert early.status == 409 and early.json()["code"] == "ENDORSEMENTS_MISSING"
    for member in (a, b, c):
        confirmed(member, f"{org_path}/endorse")
    eventually(lambda: all(a.json("GET", org_path)["organization"]["endorsements"].values()),
               what="endorsements projected")
    again = b.call("POST", f"{org_path}/endorse", headers=key())
    assert again.status == 409, again.json()

    confirmed(c, f"{org_path}/activate")
    eventually(lambda: a.json("GET", org_path)["organization"]["status"] == "Verified",
               what="activation projected")
    confirmed(a, f"{org_path}/rules", {"rule": {
        "amountThreshold": str(10 * GX), "requiredApprovers": 2, "approverGroup": members}})
    eventually(lambda: len(a.json("GET", org_path)["organization"]["rules"]) == 1, what="rule")

    funding = confirmed(a, "/api/v1/transfers", {"toUserId": org_id, "amount": str(100 * GX)})
    funded = int(funding["quote"]["netReceived"])
    eventually(lambda: org_balance(a, org_id) == funded, what="funding projected")

    amount = 50 * GX
    quote = Client(live_system).json("POST", "/api/v1/fees/calculate", {
        "amount": str(amount), "fromAccountId": org_id, "toAccountId": cp["fabricUserId"]})
    c_before = balance(c, cp["profileId"])
    opened = confirmed(b, f"{org_path}/transactions",
                       {"toUserId": cp["profileId"], "amount": str(amount), "remark": "supplies"})
    pending_id = opened["result"]["ids"]["pendingTxID"]
    assert pending_id.startswith("PENDING_TX_")
    tx_path = f"/api/v1/transactions/{pending_id}"
    tx = eventually(lambda: (t := found(a, tx_path)) and t["pendingTransaction"],
                    what="pending transaction projected")
    assert tx["status"] == "Pending"
    assert tx["approvalCount"] == 1 and tx["requiredApprovals"] == 2
    listed = a.json("GET", f"{org_path}/transactions/pending")["pendingTransactions"]
    assert [t["pendingTxId"] for t in listed] == [pending_id]
    assert org_balance(a, org_id) == funded and balance(c, cp["profileId"]) == c_before

    twice = b.call("POST", f"{tx_path}/approve", headers=key())
    assert twice.status == 409 and twice.json()["code"] == "ALREADY_APPROVED"
    confirmed(a, f"{tx_path}/approve")
    eventually(lambda: a.json("GET", tx_path)["pendingTransaction"]["status"] == "Executed",
               what="execution projected")
    eventually(lambda: org_balance(a, org_id) == funded - amount - int(quote["senderFee"])
               and balance(c, cp["profileId"]) == c_before + amount - int(quote["receiverFee"]),
               what="balances after execution")
    assert a.json("GET", f"{org_path}/transactions/pending")["pendingTransactions"] == []
    history = a.json("GET", f"{org_path}/history")["transactions"]
    assert {t["type"] for t in history} >= {"RECEIVED", "SENT"}, history
