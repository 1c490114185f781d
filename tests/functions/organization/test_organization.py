"""Organization functions against real PostgreSQL/Redis: the pre-checks answer what the chain
would refuse (stakeholders, approver group, life cycle, once each), and every accepted command
lands in the outbox with the chain's ids and the acting user explicit."""

from __future__ import annotations

import uuid

from tests.functions.organization import world
from tests.functions.organization.world import accepted, problem

GX = 1_000_000


def propose(caller: world.User, body: dict) -> object:  # type: ignore[type-arg]
    return caller.call("propose_organization", "POST", "/api/v1/organizations", json=body)


def test_propose_queues_the_chain_ids_of_every_stakeholder() -> None:
    a, b, c = world.user(), world.user(), world.user()
    body = accepted(propose(a, {"orgName": "Obi Ltd", "orgType": "BUSINESS",
                                "stakeholderIds": [a.profile_id, b.chain_id, c.profile_id]}))
    assert body["orgId"].startswith("ORG_") and body["type"] == "PROPOSE_ORGANIZATION"
    (cmd,) = world.commands(a, "PROPOSE_ORGANIZATION")
    assert cmd["payload"] == {"orgId": body["orgId"], "orgName": "Obi Ltd", "orgType": "BUSINESS",
                              "stakeholderIds": [a.chain_id, b.chain_id, c.chain_id],
                              "proposerId": a.chain_id}
    assert cmd["aggregate_key"] == f"org:{body['orgId']}"
    # The same id cannot be proposed twice while the first is queued.
    again = propose(a, {"orgId": body["orgId"], "orgName": "Obi Ltd", "orgType": "BUSINESS",
                        "stakeholderIds": [a.profile_id, b.profile_id]})
    problem(again, 409, "ORGANIZATION_EXISTS")


def test_propose_refusals() -> None:
    a, b = world.user(), world.user()
    outsider = world.user()
    base = {"orgName": "Acme Co", "orgType": "BUSINESS"}
    problem(propose(a, {**base, "stakeholderIds": [b.profile_id, outsider.profile_id]}), 403,
            "PROPOSER_NOT_STAKEHOLDER")
    problem(propose(a, {**base, "stakeholderIds": [a.profile_id, a.chain_id]}), 422,
            "DUPLICATE_STAKEHOLDERS")
    problem(propose(a, {**base, "stakeholderIds": [a.profile_id]}), 422)
    problem(propose(a, {**base, "stakeholderIds": [a.profile_id, str(uuid.uuid4())]}), 422,
            "USER_NOT_FOUND")
    pending = world.user(status="PENDING_ADMIN_APPROVAL", on_chain=False)
    problem(propose(a, {**base, "stakeholderIds": [a.profile_id, pending.profile_id]}), 422,
            "USER_NOT_FOUND")
    problem(propose(a, {**base, "orgType": "GOVERNMENT",
                        "stakeholderIds": [a.profile_id, b.profile_id]}), 403,
            "GOVERNMENT_ORG_ADMIN_ONLY")
    problem(propose(a, {**base, "orgName": "x", "stakeholderIds": [a.profile_id, b.profile_id]}),
            422)
    not_active = world.user(status="FROZEN")
    problem(propose(not_active, {**base, "stakeholderIds": [not_active.profile_id, b.profile_id]}),
            409, "USER_NOT_ACTIVE")
    assert world.commands(a, "PROPOSE_ORGANIZATION") == []


def test_government_org_needs_an_admin_the_chain_knows() -> None:
    admin = world.user(role="ADMIN", chain_admin=True)
    b = world.user()
    body = {"orgName": "Ministry", "orgType": "GOVERNMENT",
            "stakeholderIds": [admin.profile_id, b.profile_id]}
    accepted(propose(admin, body))
    off_chain_admin = world.user(role="ADMIN")
    problem(propose(off_chain_admin, {**body, "stakeholderIds": [off_chain_admin.profile_id,
                                                                  b.profile_id]}), 403)


def test_endorse_once_by_stakeholders_only() -> None:
    a, b = world.user(), world.user()
    org = world.organization([a, b])
    path = f"/api/v1/organizations/{org}/endorse"
    body = accepted(a.call("endorse_organization", "POST", path))
    assert body["orgId"] == org
    (cmd,) = world.commands(a, "ENDORSE_MEMBERSHIP")
    assert cmd["payload"] == {"orgId": org, "userId": a.chain_id}
    problem(a.call("endorse_organization", "POST", path), 409, "ALREADY_ENDORSED")
    problem(world.user().call("endorse_organization", "POST", path), 403, "NOT_STAKEHOLDER")
    problem(a.call("endorse_organization", "POST", "/api/v1/organizations/ORG_nope/endorse"),
            404, "ORGANIZATION_NOT_FOUND")
    verified = world.organization([a, b], endorsed=[a, b], status="Verified")
    problem(b.call("endorse_organization", "POST", f"/api/v1/organizations/{verified}/endorse"),
            409, "ORG_WRONG_STATUS")


def test_activate_needs_every_endorsement_and_a_stakeholder_or_chain_admin() -> None:
    a, b = world.user(), world.user()
    half = world.organization([a, b], endorsed=[a])
    resp = a.call("activate_organization", "POST", f"/api/v1/organizations/{half}/activate")
    assert problem(resp, 409, "ENDORSEMENTS_MISSING")["missing"] == [b.chain_id]
    full = world.organization([a, b], endorsed=[a, b])
    path = f"/api/v1/organizations/{full}/activate"
    problem(world.user().call("activate_organization", "POST", path), 403, "NOT_STAKEHOLDER")
    admin = world.user(role="ADMIN", chain_admin=True)
    accepted(admin.call("activate_organization", "POST", path))
    (cmd,) = world.commands(admin, "ACTIVATE_ORGANIZATION")
    assert cmd["payload"] == {"orgId": full, "actorId": admin.chain_id}
    problem(b.call("activate_organization", "POST", path), 409, "ACTIVATION_PENDING")


def test_define_rule_checks_the_group_against_the_stakeholders() -> None:
    a, b, c = world.user(), world.user(), world.user()
    org = world.organization([a, b, c], endorsed=[a, b, c], status="Verified")
    path = f"/api/v1/organizations/{org}/rules"
    rule = {"amountThreshold": str(10 * GX), "requiredApprovers": 2,
            "approverGroup": [a.profile_id, b.profile_id, c.chain_id]}
    accepted(a.call("define_auth_rule", "POST", path, json={"rule": rule}))
    (cmd,) = world.commands(a, "DEFINE_AUTH_RULE")
    assert cmd["payload"]["rule"] == {"amountThreshold": 10 * GX, "requiredApprovers": 2,
                                      "approverGroup": [a.chain_id, b.chain_id, c.chain_id]}
    outsider = world.user()
    problem(a.call("define_auth_rule", "POST", path, json={"rule": {
        **rule, "approverGroup": [a.profile_id, outsider.profile_id]}}), 422,
        "APPROVER_NOT_STAKEHOLDER")
    problem(a.call("define_auth_rule", "POST", path, json={"rule": {
        **rule, "requiredApprovers": 4}}), 422, "INVALID_REQUIRED_APPROVERS")
    problem(a.call("define_auth_rule", "POST", path, json={"rule": {
        **rule, "requiredApprovers": True}}), 422)
    problem(a.call("define_auth_rule", "POST", path, json={"rule": {
        **rule, "amountThreshold": 1.5}}), 422)
    problem(outsider.call("define_auth_rule", "POST", path, json={"rule": rule}), 403)


def test_initiate_needs_a_verified_org_a_stakeholder_and_a_matching_rule() -> None:
    a, b, c = world.user(), world.user(), world.user()
    rules = [{"amountThreshold": 10 * GX, "requiredApprovers": 2,
              "approverGroup": [a.chain_id, b.chain_id, c.chain_id]}]
    org = world.organization([a, b, c], endorsed=[a, b, c], status="Verified", rules=rules)
    path = f"/api/v1/organizations/{org}/transactions"
    body = {"toUserId": c.profile_id, "amount": str(50 * GX), "remark": "supplies"}
    accepted(a.call("initiate_multisig_transaction", "POST", path, json=body))
    (cmd,) = world.commands(a, "INITIATE_MULTISIG_TX")
    assert cmd["payload"] == {"orgId": org, "toUserId": c.chain_id, "amount": str(50 * GX),
                              "remark": "supplies", "initiatorId": a.chain_id}
    problem(a.call("initiate_multisig_transaction", "POST", path,
                   json={**body, "amount": str(5 * GX)}), 422, "NO_MATCHING_RULE")
    problem(a.call("initiate_multisig_transaction", "POST", path,
                   json={**body, "toUserId": org}), 422, "SELF_TRANSFER")
    problem(a.call("initiate_multisig_transaction", "POST", path,
                   json={**body, "toUserId": "nobody"}), 404)
    problem(world.user().call("initiate_multisig_transaction", "POST", path, json=body), 403,
            "NOT_STAKEHOLDER")
    pending = world.organization([a, b])
    problem(a.call("initiate_multisig_transaction", "POST",
                   f"/api/v1/organizations/{pending}/transactions", json=body), 409,
            "ORG_WRONG_STATUS")


def test_approve_by_group_members_once() -> None:
    a, b, c, d = world.user(), world.user(), world.user(), world.user()
    org = world.organization([a, b, c, d], endorsed=[a, b, c, d], status="Verified")
    tx = world.multisig(org, to_id=c.chain_id, amount=50 * GX, group=[a, b, c], required=2,
                        approvals=[a])  # type: ignore[arg-type]
    path = f"/api/v1/transactions/{tx}/approve"
    problem(a.call("approve_multisig_transaction", "POST", path), 409, "ALREADY_APPROVED")
    problem(d.call("approve_multisig_transaction", "POST", path), 403, "NOT_APPROVER")
    body = accepted(b.call("approve_multisig_transaction", "POST", path))
    assert body["pendingTxId"] == tx
    (cmd,) = world.commands(b, "APPROVE_MULTISIG_TX")
    assert cmd["payload"] == {"pendingTxId": tx, "userId": b.chain_id}
    assert cmd["request_id"] == f"multisig-approve:{tx}:{b.chain_id}"
    problem(b.call("approve_multisig_transaction", "POST", path), 409, "ALREADY_APPROVED")
    problem(b.call("approve_multisig_transaction", "POST", "/api/v1/transactions/NOPE/approve"),
            404, "PENDING_TX_NOT_FOUND")
    done = world.multisig(org, to_id=c.chain_id, amount=50 * GX, group=[a, b, c], required=2,
                          approvals=[a, b], status="Executed")  # type: ignore[arg-type]
    problem(c.call("approve_multisig_transaction", "POST",
                   f"/api/v1/transactions/{done}/approve"), 409, "TX_NOT_PENDING")


def test_a_rejected_approval_may_be_asked_for_again() -> None:
    from shared import db

    a, b = world.user(), world.user()
    org = world.organization([a, b], endorsed=[a, b], status="Verified")
    tx = world.multisig(org, to_id=a.chain_id, amount=GX, group=[a, b], required=2,
                        approvals=[a])  # type: ignore[arg-type]
    path = f"/api/v1/transactions/{tx}/approve"
    first = accepted(b.call("approve_multisig_transaction", "POST", path))
    db.execute("UPDATE outbox_commands SET status = 'REJECTED' WHERE id = %s",
               (first["commandId"],))
    second = accepted(b.call("approve_multisig_transaction", "POST", path))
    assert second["commandId"] != first["commandId"]
    assert world.commands(b, "APPROVE_MULTISIG_TX")[-1]["request_id"] == (
        f"multisig-approve:{tx}:{b.chain_id}#{first['commandId']}")


def test_queries_answer_in_the_chain_vocabulary() -> None:
    a, b, c = world.user(), world.user(), world.user()
    rules = [{"amountThreshold": 10 * GX, "requiredApprovers": 2,
              "approverGroup": [a.chain_id, b.chain_id]}]
    org = world.organization([a, b, c], endorsed=[a, b, c], status="Verified", rules=rules,
                             balance=100 * GX)
    tx = world.multisig(org, to_id=c.chain_id, amount=50 * GX, group=[a, b], required=2,
                        approvals=[a])  # type: ignore[arg-type]
    world.multisig(org, to_id=c.chain_id, amount=20 * GX, group=[a, b], required=2,
                   approvals=[a, b], status="Executed")  # type: ignore[arg-type]
    anon = world.User(str(uuid.uuid4()), None, "USER")
    anon.headers = {}
    public = anon.call("get_organization", "GET", f"/api/v1/organizations/{org}").get_json()
    # The public sees what the organization is, nothing of its money or members.
    assert set(public["organization"]) == {"orgId", "orgName", "accountType", "status"}
    got = c.call("get_organization", "GET", f"/api/v1/organizations/{org}").get_json()
    organization = got["organization"]
    assert organization["status"] == "Verified" and organization["balance"] == str(100 * GX)
    assert organization["rules"] == [{"amountThreshold": str(10 * GX), "requiredApprovers": 2,
                                      "approverGroup": [a.chain_id, b.chain_id]}]
    assert all(organization["endorsements"].values())
    pending = c.call("list_pending_transactions", "GET",
                     f"/api/v1/organizations/{org}/transactions/pending").get_json()
    assert [(t["pendingTxId"], t["status"], t["approvalCount"])
            for t in pending["pendingTransactions"]] == [(tx, "Pending", 1)]
    every = c.call("list_org_transactions", "GET",
                   f"/api/v1/organizations/{org}/transactions").get_json()
    assert sorted(t["status"] for t in every["pendingTransactions"]) == ["Executed", "Pending"]
    executed = c.call("list_org_transactions", "GET",
                      f"/api/v1/organizations/{org}/transactions?status=Executed").get_json()
    assert [t["status"] for t in executed["pendingTransactions"]] == ["Executed"]
    problem(c.call("list_org_transactions", "GET",
                   f"/api/v1/organizations/{org}/transactions?status=EXECUTED"), 422)
    one = c.call("get_pending_transaction", "GET", f"/api/v1/transactions/{tx}").get_json()
    assert one["pendingTransaction"]["approvals"] == {a.chain_id: True}
    problem(anon.call("get_organization", "GET", "/api/v1/organizations/ORG_none"), 404)
    # Its transfers are its members' business: no caller, 401; an outsider, as if none existed.
    outsider = world.user()
    for name, path in [("list_pending_transactions", f"/api/v1/organizations/{org}/transactions/pending"),
                       ("list_org_transactions", f"/api/v1/organizations/{org}/transactions"),
                       ("get_pending_transaction", f"/api/v1/transactions/{tx}")]:
        problem(anon.call(name, "GET", path), 401)
        problem(outsider.call(name, "GET", path), 404)
    staff = world.user(role="ADMIN").call("get_pending_transaction", "GET", f"/api/v1/transactions/{tx}")
    assert staff.get_json()["pendingTransaction"]["amount"] == str(50 * GX)

    balance = c.call("get_org_balance", "GET", f"/api/v1/organizations/{org}/balance")
    assert balance.get_json()["balance"]["balance"] == str(100 * GX)
    history = a.call("list_org_history", "GET", f"/api/v1/organizations/{org}/history")
    assert [t["type"] for t in history.get_json()["transactions"]] == ["RECEIVED"]
    problem(world.user().call("get_org_balance", "GET", f"/api/v1/organizations/{org}/balance"),
            404)
    admin = world.user(role="ADMIN")
    assert admin.call("list_org_history", "GET",
                      f"/api/v1/organizations/{org}/history").status_code == 200
