"""OrganizationContract: organizations, k-of-n authorization rules and multisig transfers.

Life cycle (rules.md §6): ProposeOrganization -> PendingEndorsement -> every stakeholder
EndorseMembership -> ActivateOrganization -> Verified; DefineAuthRule appends rules;
InitiateMultiSigTx opens a Pending transfer out of the organization's own account (id = org id),
ApproveMultiSigTx collects approvals and, at the threshold, executes it in the same transaction.

The backend calls with a service identity and passes the acting user explicitly (overview.md §2,
gaps.md C18); the chain still checks that user's rights here: stakeholder, approver-group member,
once each (gaps.md B7). "Admin" means a super-admin/admin service identity or a user appointed on
chain with AppointAdmin.

Execution (rules.md §6 "Required"): the transfer is charged the Tokenomics fee schedule
(`shared.domain.fees.quote` for the org's account type and the recipient's: MERCHANT, B2B or
GOVERNMENT, sender pays). If it cannot run (insufficient balance, frozen recipient, ...), the
approval is still committed, the pending transaction is persisted as ExecutionFailed and
OrgTxExecutionFailed is emitted; no partial movement survives. A transaction carries one event,
so OrgTxExecuted names every balance effect (org debit, recipient credit, fees).

Keys: org/<orgID> (the organization), pendingtx/<pendingTxID>, orgtx/<orgID>/<pendingTxID>
(index for listing an organization's transactions).
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
    arg_json,
    arg_text,
    chaincode,
    reject,
)
from shared.domain import fees
from shared.domain import multisig as ms
from shared.domain.accounts import FEE_COLLECTOR, AccountType, is_system_account, treasury_country
from shared.domain.errors import (
    ACCOUNT_LOCKED,
    ALREADY_EXISTS,
    INVALID_ARGUMENT,
    INVALID_STATE,
    NOT_FOUND,
    RuleViolation,
)

CONTRACT = "OrganizationContract"
MAX_ID = 128


def org_key(stub: Stub, org_id: str) -> str:
    return stub.key("org", org_id)


def pending_key(stub: Stub, pending_tx_id: str) -> str:
    return stub.key("pendingtx", pending_tx_id)


def org_tx_index_key(stub: Stub, org_id: str, pending_tx_id: str) -> str:
    return stub.key("orgtx", org_id, pending_tx_id)


def is_admin(stub: Stub, user_id: str) -> bool:
    """An admin service identity, or a user appointed admin on chain."""
    return stub.identity in ADMINS or bool(stub.get_json(ops.admin_key(stub, user_id)))


def require_org(stub: Stub, org_id: str) -> dict[str, Any]:
    org = stub.get_json(org_key(stub, org_id))
    if not org:
        reject(NOT_FOUND, f"organization {org_id} does not exist")
    return dict(org)


def _require_active_user(stub: Stub, user_id: str) -> dict[str, Any]:
    user = require_user(stub, user_id)
    if user["status"] != ops.ACTIVE:
        reject(ACCOUNT_LOCKED, f"user {user_id} is {user['status']}")
    return user


def _user_id(value: str, name: str) -> str:
    return arg_text(value, name, max_len=MAX_ID).strip()


# --- organizations -------------------------------------------------------------------------------

@chaincode(CONTRACT, "ProposeOrganization", roles=ANYONE)
def propose_organization(
    stub: Stub, org_id: str, org_name: str, org_type: str, stakeholders_json: str,
    proposer_id: str,
) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    oid = arg_text(org_id, "orgID", max_len=MAX_ID)
    if oid != oid.strip() or is_system_account(oid) or treasury_country(oid) is not None:
        reject(INVALID_ARGUMENT, f"orgID {oid!r} is not a valid organization id")
    name = arg_text(org_name, "orgName", max_len=200).strip()
    proposer = _user_id(proposer_id, "proposerID")
    kind = ms.parse_org_type(org_type.strip(), is_admin=is_admin(stub, proposer))
    p = ops.params(stub)
    stakeholders = ms.check_stakeholders(
        arg_json(stakeholders_json, "stakeholders"), proposer,
        minimum=p.num("orgMinStakeholders"), maximum=p.num("orgMaxStakeholders"),
    )
    for member in stakeholders:
        # Cross-contract, as on the chain: every stakeholder must be a registered user.
        if not stub.invoke("IdentityContract", "UserExists", member):
            reject(NOT_FOUND, f"stakeholder {member} is not a registered user")
    country = _require_active_user(stub, proposer)["nationality"]
    if stub.get_json(org_key(stub, oid)) or ops.get_account(stub, oid) is not None:
        reject(ALREADY_EXISTS, f"organization id {oid} is already taken")
    now = stub.tx_timestamp.isoformat()
    org = {
        "orgID": oid, "orgName": name, "accountType": kind.value, "country": country,
        "status": ms.OrgStatus.PENDING_ENDORSEMENT.value, "stakeholders": list(stakeholders),
        "endorsements": {member: False for member in stakeholders}, "rules": [],
        "proposerID": proposer, "createdAt": now, "activatedAt": None,
    }
    stub.put_json(org_key(stub, oid), org)
    # The account exists from the start so it can be funded, but it is Locked (may receive,
    # may not spend) until the organization is Verified.
    ops.open_account(stub, oid, AccountType(kind.value), country=country, status=ops.LOCKED)
    payload = {
        "orgID": oid, "orgName": name, "orgType": kind.value, "country": country,
        "stakeholders": list(stakeholders), "proposerID": proposer, "status": org["status"],
    }
    stub.set_event("OrganizationProposed", payload)
    return {"orgID": oid, "status": org["status"]}


@chaincode(CONTRACT, "EndorseMembership", roles=ANYONE)
def endorse_membership(stub: Stub, org_id: str, user_id: str) -> dict[str, Any]:
    org = require_org(stub, arg_text(org_id, "orgID", max_len=MAX_ID))
    uid = _user_id(user_id, "userID")
    ms.check_endorsement(org["status"], org["endorsements"], uid)
    org["endorsements"][uid] = True
    stub.put_json(org_key(stub, org["orgID"]), org)
    endorsed = sum(1 for done in org["endorsements"].values() if done)
    payload = {
        "orgID": org["orgID"], "userID": uid, "endorsedCount": endorsed,
        "stakeholderCount": len(org["stakeholders"]),
        "allEndorsed": endorsed == len(org["stakeholders"]),
    }
    stub.set_event("MembershipEndorsed", payload)
    return payload


@chaincode(CONTRACT, "ActivateOrganization", roles=ANYONE)
def activate_organization(stub: Stub, org_id: str, actor_id: str) -> dict[str, Any]:
    org = require_org(stub, arg_text(org_id, "orgID", max_len=MAX_ID))
    actor = _user_id(actor_id, "actorID")
    if not is_admin(stub, actor):
        ms.check_stakeholder(org["stakeholders"], actor)
    ms.check_activation(org["status"], org["endorsements"])
    org["status"] = ms.OrgStatus.VERIFIED.value
    org["activatedAt"] = stub.tx_timestamp.isoformat()
    stub.put_json(org_key(stub, org["orgID"]), org)
    account = ops.require_account(stub, org["orgID"])
    account["status"] = ops.ACTIVE
    ops.save_account(stub, account)
    payload = {"orgID": org["orgID"], "actorID": actor, "status": org["status"]}
    stub.set_event("OrganizationActivated", payload)
    return payload


@chaincode(CONTRACT, "DefineAuthRule", roles=ANYONE)
def define_auth_rule(stub: Stub, org_id: str, rule_json: str, actor_id: str) -> dict[str, Any]:
    org = require_org(stub, arg_text(org_id, "orgID", max_len=MAX_ID))
    actor = _user_id(actor_id, "actorID")
    if not is_admin(stub, actor):
        ms.check_stakeholder(org["stakeholders"], actor)
    if org["status"] == ms.OrgStatus.LOCKED.value:
        reject(INVALID_STATE, f"organization {org['orgID']} is Locked")
    rule = ms.parse_rule(arg_json(rule_json, "rule"), org["stakeholders"])
    org["rules"].append(rule.to_json())
    stub.put_json(org_key(stub, org["orgID"]), org)
    payload = {"orgID": org["orgID"], "actorID": actor, "ruleIndex": len(org["rules"]) - 1,
               **rule.to_json()}
    stub.set_event("AuthRuleDefined", payload)
    return payload


# --- multisig transfers --------------------------------------------------------------------------

@chaincode(CONTRACT, "InitiateMultiSigTx", roles=ANYONE)
def initiate_multisig_tx(
    stub: Stub, org_id: str, to_id: str, amount: str, remark: str, initiator_id: str
) -> dict[str, Any]:
    org = require_org(stub, arg_text(org_id, "orgID", max_len=MAX_ID))
    recipient = arg_text(to_id, "toID", max_len=MAX_ID).strip()
    value = arg_amount(amount)
    note = arg_text(remark, "remark", max_len=500, allow_empty=True)
    initiator = _user_id(initiator_id, "initiatorID")
    ms.check_stakeholder(org["stakeholders"], initiator)
    ms.check_status(org["status"], ms.OrgStatus.VERIFIED)
    if recipient == org["orgID"]:
        reject(INVALID_ARGUMENT, "an organization cannot pay itself")
    ops.require_account(stub, recipient)  # a typo'd recipient fails now, not at execution
    rule = ms.require_rule([ms.AuthRule.from_json(r) for r in org["rules"]], value)
    tx_id = ms.pending_tx_id(stub.tx_id)
    if stub.get_json(pending_key(stub, tx_id)):
        reject(ALREADY_EXISTS, f"pending transaction {tx_id} already exists")
    tx = {
        "pendingTxID": tx_id, "orgID": org["orgID"], "toID": recipient, "amount": value,
        "remark": note, "initiatorID": initiator, "rule": rule.to_json(),
        "requiredApprovals": rule.required_approvers, "approverGroup": list(rule.approver_group),
        "approvals": list(ms.initial_approvals(rule, initiator)),
        "status": ms.PendingTxStatus.PENDING.value, "createdAt": stub.tx_timestamp.isoformat(),
        "executedAt": None, "error": None, "fees": None,
    }
    stub.put_json(org_tx_index_key(stub, org["orgID"], tx_id), {"pendingTxID": tx_id})
    if ms.threshold_reached(rule, tx["approvals"]):
        # A 1-of rule whose group holds the initiator: nobody else could ever approve, so the
        # initiator's own approval completes it here.
        return _execute(stub, org, tx, approver=initiator)
    stub.put_json(pending_key(stub, tx_id), tx)
    stub.set_event("OrgTransferEvent", _tx_summary(tx) | {"fromID": org["orgID"]})
    return {"pendingTxID": tx_id, "status": tx["status"], "approvals": tx["approvals"]}


@chaincode(CONTRACT, "ApproveMultiSigTx", roles=ANYONE)
def approve_multisig_tx(stub: Stub, pending_tx_id: str, approver_id: str) -> dict[str, Any]:
    tx_id = arg_text(pending_tx_id, "pendingTxID", max_len=MAX_ID)
    tx = stub.get_json(pending_key(stub, tx_id))
    if not tx:
        reject(NOT_FOUND, f"pending transaction {tx_id} does not exist")
    approver = _user_id(approver_id, "approverID")
    org = require_org(stub, tx["orgID"])
    rule = ms.AuthRule.from_json(tx["rule"])
    ms.check_approval(org_status=org["status"], tx_status=tx["status"], rule=rule,
                      approvals=tx["approvals"], approver_id=approver)
    tx["approvals"].append(approver)
    if ms.threshold_reached(rule, tx["approvals"]):
        return _execute(stub, org, tx, approver=approver)
    stub.put_json(pending_key(stub, tx_id), tx)
    payload = {"pendingTxID": tx_id, "orgID": org["orgID"], "approverID": approver,
               "approvals": tx["approvals"], "requiredApprovals": tx["requiredApprovals"]}
    stub.set_event("OrgTxApproved", payload)
    return {"pendingTxID": tx_id, "status": tx["status"], "approvals": tx["approvals"]}


def _tx_summary(tx: dict[str, Any]) -> dict[str, Any]:
    return {
        "pendingTxID": tx["pendingTxID"], "orgID": tx["orgID"], "toID": tx["toID"],
        "amount": tx["amount"], "remark": tx["remark"], "initiatorID": tx["initiatorID"],
        "requiredApprovals": tx["requiredApprovals"], "approverGroup": tx["approverGroup"],
        "approvals": tx["approvals"],
    }


def _execute(
    stub: Stub, org: dict[str, Any], tx: dict[str, Any], *, approver: str
) -> dict[str, Any]:
    """Run the approved transfer; a refused transfer becomes ExecutionFailed, never an abort."""
    now = stub.tx_timestamp.isoformat()
    try:
        with stub.savepoint():
            quote = _pay(stub, org, tx)
    except RuleViolation as exc:
        tx.update(status=ms.PendingTxStatus.EXECUTION_FAILED.value, executedAt=now,
                  error=f"{exc.code}: {exc.message}")
        stub.put_json(pending_key(stub, tx["pendingTxID"]), tx)
        payload = _tx_summary(tx) | {"approverID": approver, "error": tx["error"],
                                     "errorCode": exc.code, "status": tx["status"]}
        stub.set_event("OrgTxExecutionFailed", payload)
        return {"pendingTxID": tx["pendingTxID"], "status": tx["status"], "error": tx["error"]}
    tx.update(status=ms.PendingTxStatus.EXECUTED.value, executedAt=now, fees={
        "senderFee": quote.sender_fee, "receiverFee": quote.receiver_fee,
        "totalFee": quote.total_fee, "feeBps": quote.fee_bps,
    })
    stub.put_json(pending_key(stub, tx["pendingTxID"]), tx)
    payload = _tx_summary(tx) | {
        "fromID": org["orgID"], "approverID": approver, "status": tx["status"],
        "senderFee": quote.sender_fee, "receiverFee": quote.receiver_fee,
        "totalFee": quote.total_fee, "netReceived": quote.net_received,
        "feeCollector": quote.fee_collector, "transactionType": quote.tx_type.value,
        "scope": quote.scope.value, "feeBps": quote.fee_bps, "feeExempt": quote.exempt,
    }
    stub.set_event("OrgTxExecuted", payload)
    return {"pendingTxID": tx["pendingTxID"], "status": tx["status"]}


def _pay(stub: Stub, org: dict[str, Any], tx: dict[str, Any]) -> fees.FeeQuote:
    """The transfer with the Tokenomics fee schedule (TransferFromOrganization's job)."""
    sender = ops.require_account(stub, org["orgID"])
    receiver = ops.require_account(stub, tx["toID"])
    if receiver["type"] == AccountType.INDIVIDUAL.value:
        _require_active_user(stub, tx["toID"])
    quote = fees.quote(
        tx["amount"], from_id=sender["accountID"], to_id=receiver["accountID"],
        from_type=AccountType(sender["type"]), to_type=AccountType(receiver["type"]),
        from_country=sender.get("country"), to_country=receiver.get("country"),
        params=ops.params(stub),
    )
    remark = tx["remark"] or f"Multisig transfer {tx['pendingTxID']}"
    ops.transfer(stub, sender["accountID"], receiver["accountID"], tx["amount"],
                 kind="ORG_TRANSFER", remark=remark)
    if quote.sender_fee:
        ops.transfer(stub, sender["accountID"], FEE_COLLECTOR, quote.sender_fee, kind="FEE",
                     remark=remark)
    if quote.receiver_fee:
        ops.transfer(stub, receiver["accountID"], FEE_COLLECTOR, quote.receiver_fee, kind="FEE",
                     remark=remark, allow_locked_sender=True)
    return quote


# --- queries -------------------------------------------------------------------------------------

@chaincode(CONTRACT, "GetOrganization", roles=ANYONE, query=True)
def get_organization(stub: Stub, org_id: str) -> dict[str, Any]:
    org = require_org(stub, arg_text(org_id, "orgID", max_len=MAX_ID))
    account = ops.get_account(stub, org["orgID"]) or {}
    return {**org, "balance": str(account.get("balance", 0)),
            "velocityTaxTimerStart": account.get("velocityTaxTimerStart"),
            "velocityTaxLastCheck": account.get("velocityTaxLastCheck"),
            "velocityTaxExempt": bool(account.get("velocityTaxExempt"))}


@chaincode(CONTRACT, "GetPendingTx", roles=ANYONE, query=True)
def get_pending_tx(stub: Stub, pending_tx_id: str) -> dict[str, Any]:
    tx_id = arg_text(pending_tx_id, "pendingTxID", max_len=MAX_ID)
    tx = stub.get_json(pending_key(stub, tx_id))
    if not tx:
        reject(NOT_FOUND, f"pending transaction {tx_id} does not exist")
    return dict(tx)


@chaincode(CONTRACT, "ListOrgTransactions", roles=ANYONE, query=True)
def list_org_transactions(stub: Stub, org_id: str) -> list[dict[str, Any]]:
    """Every multisig transaction of the organization, oldest id first (any status)."""
    org = require_org(stub, arg_text(org_id, "orgID", max_len=MAX_ID))
    found = []
    for _, ref in stub.get_by_prefix(stub.key_prefix("orgtx", org["orgID"])):
        tx = stub.get_json(pending_key(stub, ref["pendingTxID"]))
        if tx:
            found.append(tx)
    return found
