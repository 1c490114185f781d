"""Organization use cases: propose, endorse, activate, authorization rules, multisig transfers.

Every command is checked against the read models with the same pure rules the chain runs
(shared.domain.multisig) before it reaches the outbox, so a request the chain would refuse gets a
clear 4xx now: stakeholder, approver-group member and admin rights (gaps.md B7), the life cycle
(PendingEndorsement -> Verified), "once each" for endorsements and approvals. Users are named by
profile id or on-chain id and always passed to the chain as on-chain ids, the acting user
explicitly (gaps.md C18). The chain decides in the end: it re-checks everything, and the ids it
creates (the pending transaction's PENDING_TX_<uuid>) come back in the command status result.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from shared.api import STAFF, STAKEHOLDER
from shared.auth import Principal
from shared.domain import multisig as ms
from shared.domain.accounts import is_system_account, treasury_country
from shared.domain.errors import RuleViolation
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.organization import common
from shared.organization.common import Actor
from shared.organization.schemas import (
    DefineRuleIn,
    InitiateTransactionIn,
    ProposeOrganizationIn,
)
from shared.outbox import Enqueued
from shared.readmodels import accounts
from shared.readmodels import organizations as orgs
from shared.tokenomics import parties

SOURCE = "organization"
_queue = functools.partial(common.queue, SOURCE)
_queue_once = functools.partial(common.queue_once, SOURCE)





def _org(org_id: str) -> dict[str, Any]:
    org = orgs.get_organization(org_id, tenant=common.tenant())
    if org is None or org["status"] is None:
        raise NotFound("no such organization", code="ORGANIZATION_NOT_FOUND")
    return org


def _stakeholder_or_admin(caller: Principal, me: Actor, org: dict[str, Any]) -> None:
    """Stakeholders may; so may an admin the chain also knows as an admin."""
    if me.chain_id in org["stakeholders"]:
        return
    if caller.is_admin and common.is_chain_admin(me.chain_id):
        return
    raise Forbidden("only a stakeholder or an admin may do this", code="NOT_STAKEHOLDER")


def _check(check: Any, *args: Any, field: str | None = None, **kw: Any) -> Any:
    try:
        return check(*args, **kw)
    except RuleViolation as exc:
        raise common.refusal(exc, field=field) from None


# --- commands ------------------------------------------------------------------------------


def propose(caller: Principal, body: ProposeOrganizationIn, *, idempotency_key: str) -> tuple[Enqueued, str]:
    me = common.actor(caller)
    if body.org_type == ms.OrgType.GOVERNMENT.value and not (
        caller.is_admin and common.is_chain_admin(me.chain_id)
    ):
        raise Forbidden("only an admin may propose a GOVERNMENT organization",
                        code="GOVERNMENT_ORG_ADMIN_ONLY")
    members = [common.user_ref(ref, field="stakeholderIds").chain_id for ref in body.stakeholder_ids]
    p = parties.params()
    stakeholders = _check(ms.check_stakeholders, members, me.chain_id, field="stakeholderIds",
                          minimum=p.num("orgMinStakeholders"), maximum=p.num("orgMaxStakeholders"))
    # A retried request without a client key must not mint a second organization id.
    org_id = body.org_id or f"ORG_{uuid.uuid5(uuid.NAMESPACE_URL, f'gx-org:{idempotency_key}')}"
    if is_system_account(org_id) or treasury_country(org_id) is not None:
        raise ValidationFailed(f"{org_id} is reserved for the system's own accounts",
                               code="ORGANIZATION_ID_RESERVED", errors=[{
                                   "field": "orgId", "message": "reserved account name",
                                   "type": "reserved"}])
    try:
        parties.resolve(org_id)
    except NotFound:
        pass
    else:
        raise Conflict(f"the id {org_id} is already taken", code="ORGANIZATION_EXISTS")
    command = _queue_once(caller, "PROPOSE_ORGANIZATION", {
        "orgId": org_id, "orgName": body.org_name, "orgType": body.org_type,
        "stakeholderIds": list(stakeholders), "proposerId": me.chain_id,
    }, f"org-propose:{org_id}", code="ORGANIZATION_EXISTS",
        message=f"organization {org_id} has already been proposed")
    return command, org_id


def endorse(caller: Principal, org_id: str) -> Enqueued:
    me = common.actor(caller)
    org = _org(org_id)
    _check(ms.check_endorsement, org["status"], org["endorsements"], me.chain_id)
    return _queue_once(caller, "ENDORSE_MEMBERSHIP", {"orgId": org_id, "userId": me.chain_id},
                       f"org-endorse:{org_id}:{me.chain_id}", code="ALREADY_ENDORSED",
                       message="you have already endorsed this organization")


def activate(caller: Principal, org_id: str) -> Enqueued:
    me = common.actor(caller)
    org = _org(org_id)
    _stakeholder_or_admin(caller, me, org)
    _check(ms.check_activation, org["status"], org["endorsements"])
    return _queue_once(caller, "ACTIVATE_ORGANIZATION", {"orgId": org_id, "actorId": me.chain_id},
                       f"org-activate:{org_id}", code="ACTIVATION_PENDING",
                       message="the activation of this organization is already under way")


def define_rule(caller: Principal, org_id: str, body: DefineRuleIn, *, idempotency_key: str) -> Enqueued:
    me = common.actor(caller)
    org = _org(org_id)
    _stakeholder_or_admin(caller, me, org)
    if org["status"] == ms.OrgStatus.LOCKED.value:
        raise Conflict("the organization is Locked", code="ORG_WRONG_STATUS")
    group = [common.user_ref(ref, field="rule.approverGroup").chain_id
             for ref in body.rule.approver_group]
    rule = _check(ms.parse_rule, {
        "amountThreshold": body.rule.amount_threshold,
        "requiredApprovers": body.rule.required_approvers, "approverGroup": group,
    }, org["stakeholders"], field="rule")
    return _queue(caller, "DEFINE_AUTH_RULE", {
        "orgId": org_id, "rule": rule.to_json(), "actorId": me.chain_id}, idempotency_key)


def initiate(caller: Principal, org_id: str, body: InitiateTransactionIn, *,
             idempotency_key: str) -> Enqueued:
    me = common.actor(caller)
    org = _org(org_id)
    _check(ms.check_stakeholder, org["stakeholders"], me.chain_id)
    _check(ms.check_status, org["status"], ms.OrgStatus.VERIFIED)
    recipient = parties.resolve(body.to_user_id)
    if recipient.account_id == org_id:
        raise ValidationFailed("an organization cannot pay itself", code="SELF_TRANSFER",
                               errors=[{"field": "toUserId", "message": "is the organization",
                                        "type": "self_transfer"}])
    rules = [ms.AuthRule.from_json(r) for r in org["rules"]]
    _check(ms.require_rule, rules, body.amount, field="amount")
    return _queue(caller, "INITIATE_MULTISIG_TX", {
        "orgId": org_id, "toUserId": recipient.account_id, "amount": str(body.amount),
        "remark": body.remark or "", "initiatorId": me.chain_id,
    }, idempotency_key)


def approve(caller: Principal, pending_tx_id: str) -> Enqueued:
    me = common.actor(caller)
    tx = orgs.get_multisig(pending_tx_id, tenant=common.tenant())
    if tx is None:
        raise NotFound("no such pending transaction", code="PENDING_TX_NOT_FOUND")
    org = _org(tx["orgId"])
    rule = ms.AuthRule(0, int(tx["requiredApprovals"] or 1), tuple(tx["approverGroup"] or ()))
    _check(ms.check_approval, org_status=org["status"], tx_status=tx["status"], rule=rule,
           approvals=list(tx["approvals"]), approver_id=me.chain_id)
    return _queue_once(caller, "APPROVE_MULTISIG_TX",
                       {"pendingTxId": pending_tx_id, "userId": me.chain_id},
                       f"multisig-approve:{pending_tx_id}:{me.chain_id}", code="ALREADY_APPROVED",
                       message="you have already approved this transaction")


# --- queries -------------------------------------------------------------------------------


def organization(caller: Principal | None, org_id: str) -> tuple[dict[str, Any], str | None]:
    """The organization and who the caller is to it (`audience`: the fields they may see)."""
    org = _org(org_id)
    return org, audience(caller, org)


def pending_transactions(caller: Principal, org_id: str) -> tuple[list[dict[str, Any]], str]:
    return transactions(caller, org_id, status=ms.PendingTxStatus.PENDING.value, limit=50)


def transactions(caller: Principal, org_id: str, *, status: str | None,
                 limit: int) -> tuple[list[dict[str, Any]], str]:
    """The organization's multisig transfers and who the caller is to it (members only)."""
    org = _org(org_id)
    seen_as = _member_or_admin(caller, org)
    found = orgs.list_multisig(org_id, status=status, limit=limit, tenant=common.tenant())
    return found, seen_as


def pending_transaction(caller: Principal, pending_tx_id: str) -> tuple[dict[str, Any], str]:
    tx = orgs.get_multisig(pending_tx_id, tenant=common.tenant())
    org = orgs.get_organization(tx["orgId"], tenant=common.tenant()) if tx else None
    seen_as = audience(caller, org) if org else None
    if tx is None or seen_as is None:
        # Outsiders are told it does not exist: amounts and recipients are the members' business.
        raise NotFound("no such pending transaction", code="PENDING_TX_NOT_FOUND")
    return tx, seen_as


def audience(caller: Principal | None, org: dict[str, Any]) -> str | None:
    """STAFF for admins, STAKEHOLDER for the organization's stakeholders, None for anyone else."""
    if caller is None:
        return None
    if caller.is_admin:
        return STAFF
    chain_id = common.chain_id_of(caller)
    return STAKEHOLDER if chain_id is not None and chain_id in org["stakeholders"] else None


def _member_or_admin(caller: Principal, org: dict[str, Any]) -> str:
    """Money details are for the organization's stakeholders and admins only."""
    seen_as = audience(caller, org)
    if seen_as is None:
        # 404, not 403: outsiders learn nothing about another organization's money.
        raise NotFound("no such organization", code="ORGANIZATION_NOT_FOUND")
    return seen_as


def balance(caller: Principal, org_id: str) -> dict[str, Any]:
    org = _org(org_id)
    _member_or_admin(caller, org)
    account = accounts.get_account(org_id, tenant=common.tenant())
    return {"orgId": org_id, "balance": account["balance"] if account else "0",
            "isFrozen": bool(account and account["isFrozen"]),
            "updatedAt": account["updatedAt"] if account else None}


def history(caller: Principal, org_id: str, *, limit: int, after: str | None,
            before: str | None) -> dict[str, Any]:
    org = _org(org_id)
    _member_or_admin(caller, org)
    try:
        return accounts.history_page(org_id, limit=limit, after=after, before=before,
                                     tenant=common.tenant())
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors=[
            {"field": "after" if after else "before", "message": str(exc), "type": "cursor"}
        ]) from None
