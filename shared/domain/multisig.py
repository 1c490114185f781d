"""Organizations and multi-signature transfers: the pure rules (spec/rules.md §6).

Shared by the embedded OrganizationContract and any backend pre-check, so both always agree.
No I/O: callers load the organization and pending transaction, call these checks, and save.

Deliberate departures from the reference chaincode (gaps.md B7, B12, rules.md §6 "Required"):
- rule selection takes the matching rule with the HIGHEST threshold, never the first in list
  order, so defining rules out of order cannot weaken a large transfer's approval requirement;
- ids are derived from the chain transaction id, so re-executing a transaction is reproducible;
- stakeholder lists are 2–20 distinct ids, and the acting user is always an explicit argument.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from shared.domain.errors import (
    AlreadyExists,
    InvalidAmount,
    InvalidState,
    NotAuthorized,
    RuleViolation,
)

#: Stakeholder bounds (rules.md §6 "Required: 2–20, no duplicates"; seed orgMinimum/Maximum...).
MIN_STAKEHOLDERS = 2
MAX_STAKEHOLDERS = 20

# A fixed namespace so PENDING_TX ids are a pure function of the chain tx id.
_PENDING_TX_NAMESPACE = uuid.UUID("6f1d6c2e-5b0a-4d2c-9a55-0c6a3f0e7b11")


class OrgType(str, Enum):
    BUSINESS = "BUSINESS"
    NGO = "NGO"
    GOVERNMENT = "GOVERNMENT"  # a country treasury body; admins only


class OrgStatus(str, Enum):
    PENDING_ENDORSEMENT = "PendingEndorsement"
    VERIFIED = "Verified"
    LOCKED = "Locked"


class PendingTxStatus(str, Enum):
    PENDING = "Pending"
    EXECUTED = "Executed"
    EXECUTION_FAILED = "ExecutionFailed"
    REJECTED = "Rejected"  # allowed by the chain type; no function sets it yet


class MultisigRejected(RuleViolation):
    """A multisig rule failed; `reason` names which one."""


@dataclass(frozen=True, slots=True)
class AuthRule:
    """`k of group` approvals for transfers strictly above `amount_threshold` Qirat."""

    amount_threshold: int
    required_approvers: int
    approver_group: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        # The chain's key names, so the stored rule and the event payload read like Fabric's.
        return {
            "amountThreshold": self.amount_threshold,
            "requiredApprovers": self.required_approvers,
            "approverGroup": list(self.approver_group),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> AuthRule:
        return cls(
            amount_threshold=int(raw["amountThreshold"]),
            required_approvers=int(raw["requiredApprovers"]),
            approver_group=tuple(raw["approverGroup"]),
        )


def parse_org_type(value: str, *, is_admin: bool) -> OrgType:
    try:
        org_type = OrgType(value)
    except ValueError:
        raise MultisigRejected(
            f"unknown organization type {value!r}", reason="INVALID_ORG_TYPE", org_type=value
        ) from None
    if org_type is OrgType.GOVERNMENT and not is_admin:
        raise NotAuthorized("only an admin may propose a GOVERNMENT organization",
                            reason="GOVERNMENT_ORG_ADMIN_ONLY")
    return org_type


def check_stakeholders(
    stakeholders: Sequence[Any], proposer_id: str, *,
    minimum: int = MIN_STAKEHOLDERS, maximum: int = MAX_STAKEHOLDERS,
) -> tuple[str, ...]:
    """2–20 (orgMinStakeholders..orgMaxStakeholders) distinct non-empty ids, proposer included;
    returned in the given order."""
    if not isinstance(stakeholders, (list, tuple)) or not all(
        isinstance(s, str) and s.strip() for s in stakeholders
    ):
        raise MultisigRejected("stakeholders must be a list of user ids",
                               reason="INVALID_STAKEHOLDERS")
    if len(set(stakeholders)) != len(stakeholders):
        raise MultisigRejected("stakeholders must be distinct", reason="DUPLICATE_STAKEHOLDERS")
    if not minimum <= len(stakeholders) <= maximum:
        raise MultisigRejected(
            f"an organization needs {minimum}–{maximum} stakeholders",
            reason="STAKEHOLDER_COUNT", count=len(stakeholders),
        )
    if proposer_id not in stakeholders:
        raise NotAuthorized("the proposer must be one of the stakeholders",
                            reason="PROPOSER_NOT_STAKEHOLDER")
    return tuple(stakeholders)


def check_stakeholder(stakeholders: Iterable[str], user_id: str) -> None:
    if user_id not in set(stakeholders):
        raise NotAuthorized(f"{user_id} is not a stakeholder of this organization",
                            reason="NOT_STAKEHOLDER", user_id=user_id)


def check_status(actual: str, required: OrgStatus) -> None:
    if actual != required.value:
        raise InvalidState(f"the organization is {actual}, not {required.value}",
                           reason="ORG_WRONG_STATUS", status=actual)


def check_endorsement(status: str, endorsements: Mapping[str, bool], user_id: str) -> None:
    """A stakeholder endorses a PendingEndorsement organization exactly once."""
    check_status(status, OrgStatus.PENDING_ENDORSEMENT)
    check_stakeholder(endorsements.keys(), user_id)
    if endorsements[user_id]:
        raise AlreadyExists(f"{user_id} has already endorsed", reason="ALREADY_ENDORSED")


def check_activation(status: str, endorsements: Mapping[str, bool]) -> None:
    check_status(status, OrgStatus.PENDING_ENDORSEMENT)
    missing = sorted(user for user, done in endorsements.items() if not done)
    if missing:
        raise InvalidState("every stakeholder must endorse before activation",
                           reason="ENDORSEMENTS_MISSING", missing=missing)


def parse_rule(raw: Any, stakeholders: Iterable[str]) -> AuthRule:
    """Validate a rule document `{amountThreshold, requiredApprovers, approverGroup}`."""
    if not isinstance(raw, Mapping):
        raise MultisigRejected("the rule must be a JSON object", reason="INVALID_RULE")
    threshold: Any = raw.get("amountThreshold")
    required: Any = raw.get("requiredApprovers")
    group: Any = raw.get("approverGroup")
    # bool is an int subclass in Python; a JSON true must never pass as 1.
    if not _is_int(threshold) or threshold < 0:
        raise MultisigRejected("amountThreshold must be an integer ≥ 0 (Qirat)",
                               reason="INVALID_RULE_THRESHOLD")
    if not isinstance(group, list) or not group or not all(
        isinstance(a, str) and a for a in group
    ):
        raise MultisigRejected("approverGroup must be a non-empty list of user ids",
                               reason="INVALID_APPROVER_GROUP")
    if len(set(group)) != len(group):
        raise MultisigRejected("approverGroup must not repeat an approver",
                               reason="DUPLICATE_APPROVERS")
    if not _is_int(required) or not 1 <= required <= len(group):
        raise MultisigRejected("requiredApprovers must be between 1 and the group size",
                               reason="INVALID_REQUIRED_APPROVERS")
    outsiders = sorted(set(group) - set(stakeholders))
    if outsiders:
        raise MultisigRejected("every approver must be a stakeholder",
                               reason="APPROVER_NOT_STAKEHOLDER", approvers=outsiders)
    return AuthRule(threshold, required, tuple(group))


def select_rule(rules: Sequence[AuthRule], amount: int) -> AuthRule | None:
    """The rule governing a transfer of `amount`: among the rules with amount > threshold, the
    one with the highest threshold (the strictest band the amount reaches). Several rules with
    that same threshold: the one needing the most approvals, then the earliest defined, so the
    choice never depends on accidents of ordering that could weaken it. None: no rule applies,
    and the caller must reject the transfer (as the chain does)."""
    best: tuple[int, int, int] | None = None
    chosen: AuthRule | None = None
    for position, rule in enumerate(rules):
        if amount > rule.amount_threshold:
            key = (rule.amount_threshold, rule.required_approvers, -position)
            if best is None or key > best:
                best, chosen = key, rule
    return chosen


def require_rule(rules: Sequence[AuthRule], amount: int) -> AuthRule:
    rule = select_rule(rules, amount)
    if rule is None:
        raise MultisigRejected("no authorization rule covers this amount",
                               reason="NO_MATCHING_RULE", amount=amount)
    return rule


def check_transfer_amount(amount: int) -> None:
    if not _is_int(amount) or amount < 1:
        raise InvalidAmount("amount must be a positive integer of Qirat",
                            reason="INVALID_AMOUNT")


def initial_approvals(rule: AuthRule, initiator_id: str) -> tuple[str, ...]:
    """The initiator's approval counts only when the initiator is in the rule's group."""
    return (initiator_id,) if initiator_id in rule.approver_group else ()


def check_approval(
    *, org_status: str, tx_status: str, rule: AuthRule, approvals: Sequence[str],
    approver_id: str,
) -> None:
    check_status(org_status, OrgStatus.VERIFIED)
    if tx_status != PendingTxStatus.PENDING.value:
        raise InvalidState(f"the transaction is {tx_status}, not Pending",
                           reason="TX_NOT_PENDING", status=tx_status)
    if approver_id not in rule.approver_group:
        raise NotAuthorized(f"{approver_id} is not in the approver group",
                            reason="NOT_APPROVER", user_id=approver_id)
    if approver_id in approvals:
        raise AlreadyExists(f"{approver_id} has already approved", reason="ALREADY_APPROVED")


def threshold_reached(rule: AuthRule, approvals: Sequence[str]) -> bool:
    return len(set(approvals) & set(rule.approver_group)) >= rule.required_approvers


def pending_tx_id(chain_tx_id: str) -> str:
    """`PENDING_TX_<uuid>`, a pure function of the chain tx id (re-execution reproduces it)."""
    return f"PENDING_TX_{uuid.uuid5(_PENDING_TX_NAMESPACE, chain_tx_id)}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
