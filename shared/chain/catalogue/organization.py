"""Organization commands: propose, endorse, activate, define auth rules, initiate/approve multisig.

Every call goes out with the partner identity and names the acting user explicitly (the chain
checks that user's rights: stakeholder, approver-group member; overview.md §2, gaps.md C18).
There is no EXECUTE_MULTISIG_TX: the chain executes a transfer when its last approval arrives
(gaps.md A11). A GOVERNMENT organization, or a rule defined by a non-stakeholder, needs the
acting user to be an admin appointed on chain (AppointAdmin), since the identity is not admin.
Commands of one organization are submitted in acceptance order (aggregate `org:<orgId>`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from shared.chain.catalogue import CommandDef, define
from shared.chain.catalogue.tokenomics import AccountId, QiratAmount, Strict
from shared.chain.port import ServiceIdentity
from shared.domain import money

CONTRACT = "OrganizationContract"
SERVICE = "organization"

Id = AccountId


class Payload(Strict):
    """camelCase on the wire (as the commands.md payloads), closed, frozen."""

    model_config = ConfigDict(alias_generator=to_camel)


class ProposeOrganization(Payload):
    org_id: Id
    org_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    org_type: Literal["BUSINESS", "NGO", "GOVERNMENT"]
    stakeholder_ids: list[Id] = Field(min_length=2, max_length=20)
    proposer_id: Id


class EndorseMembership(Payload):
    org_id: Id
    user_id: Id


class ActivateOrganization(Payload):
    org_id: Id
    actor_id: Id


def _whole_number(value: Any) -> Any:
    # Amounts travel as JSON integers or strings of digits; a bool or a float is never money.
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        # ValueError, not TypeError: pydantic reports only ValueError as a field error.
        raise ValueError("must be a JSON integer or a string of digits")  # noqa: TRY004
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError("must be a string of digits")
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
#: A threshold of Qirat (0 allowed), parsed like every amount.
ThresholdAmount = Annotated[
    int, BeforeValidator(lambda v: money.parse(v, name="amountThreshold", allow_zero=True))]


class AuthRule(Payload):
    amount_threshold: ThresholdAmount  # Qirat; 0 = every amount
    required_approvers: WholeNumber = Field(ge=1, le=20)
    approver_group: list[Id] = Field(min_length=1, max_length=20)


class DefineAuthRule(Payload):
    org_id: Id
    rule: AuthRule
    actor_id: Id


class InitiateMultiSigTx(Payload):
    org_id: Id
    to_user_id: Id
    amount: QiratAmount
    remark: Annotated[str, StringConstraints(max_length=500)] = ""
    initiator_id: Id


class ApproveMultiSigTx(Payload):
    pending_tx_id: Id
    user_id: Id  # the approver


def _org(p: ProposeOrganization | EndorseMembership | ActivateOrganization | DefineAuthRule
         | InitiateMultiSigTx) -> str:
    return f"org:{p.org_id}"


def _rule_json(rule: AuthRule) -> str:
    # The chain's key names (rules.md §6).
    return json.dumps({"amountThreshold": rule.amount_threshold,
                       "requiredApprovers": rule.required_approvers,
                       "approverGroup": list(rule.approver_group)})


define(CommandDef(
    type="PROPOSE_ORGANIZATION", contract=CONTRACT, function="ProposeOrganization",
    payload=ProposeOrganization,
    args=lambda p: [p.org_id, p.org_name, p.org_type, json.dumps(list(p.stakeholder_ids)),
                    p.proposer_id],
    identity=ServiceIdentity.PARTNER_API, aggregate=_org, service=SERVICE,
    description="Propose an organization; the proposer must be one of 2-20 stakeholders.",
))
define(CommandDef(
    type="ENDORSE_MEMBERSHIP", contract=CONTRACT, function="EndorseMembership",
    payload=EndorseMembership, args=lambda p: [p.org_id, p.user_id],
    identity=ServiceIdentity.PARTNER_API, aggregate=_org, service=SERVICE,
    description="A stakeholder endorses the organization (once).",
))
define(CommandDef(
    type="ACTIVATE_ORGANIZATION", contract=CONTRACT, function="ActivateOrganization",
    payload=ActivateOrganization, args=lambda p: [p.org_id, p.actor_id],
    identity=ServiceIdentity.PARTNER_API, aggregate=_org, service=SERVICE,
    description="Verify the organization once every stakeholder has endorsed it.",
))
define(CommandDef(
    type="DEFINE_AUTH_RULE", contract=CONTRACT, function="DefineAuthRule",
    payload=DefineAuthRule, args=lambda p: [p.org_id, _rule_json(p.rule), p.actor_id],
    identity=ServiceIdentity.PARTNER_API, aggregate=_org, service=SERVICE,
    description="Append a k-of-group approval rule for transfers above a threshold.",
))
define(CommandDef(
    type="INITIATE_MULTISIG_TX", contract=CONTRACT, function="InitiateMultiSigTx",
    payload=InitiateMultiSigTx,
    args=lambda p: [p.org_id, p.to_user_id, str(p.amount), p.remark, p.initiator_id],
    identity=ServiceIdentity.PARTNER_API, aggregate=_org, service=SERVICE,
    description="Open a transfer out of the organization; the chain returns PENDING_TX_<uuid>.",
))
define(CommandDef(
    type="APPROVE_MULTISIG_TX", contract=CONTRACT, function="ApproveMultiSigTx",
    payload=ApproveMultiSigTx, args=lambda p: [p.pending_tx_id, p.user_id],
    identity=ServiceIdentity.PARTNER_API, aggregate=lambda p: f"multisig:{p.pending_tx_id}",
    service=SERVICE,
    description="An approver-group member approves; the last needed approval executes it.",
))
