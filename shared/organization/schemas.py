"""Request and reply models of the organization service (spec endpoints.md §4 with its Required
behaviour). Statuses are the chain's own enums (shared.domain.multisig), so a reply can only ever
carry the shared vocabulary (gaps.md B13)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from shared.api import (
    STAFF,
    STAKEHOLDER,
    ApiModel,
    Qirat,
    QiratOut,
    ReplyModel,
    ThresholdQirat,
    visible_to,
)
from shared.domain.multisig import MAX_STAKEHOLDERS, OrgStatus, PendingTxStatus

UserRef = Annotated[str, Field(min_length=1, max_length=128,
                               description="profile id or on-chain user id")]


class ProposeOrganizationIn(ApiModel):
    org_id: str | None = Field(
        None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$",
        description="optional; a fresh ORG_<uuid> when omitted")
    org_name: str = Field(min_length=3, max_length=100)
    org_type: Literal["BUSINESS", "NGO", "GOVERNMENT"]
    stakeholder_ids: list[UserRef] = Field(min_length=2, max_length=MAX_STAKEHOLDERS)


class AuthRuleIn(ApiModel):
    amount_threshold: ThresholdQirat
    required_approvers: int = Field(ge=1, le=MAX_STAKEHOLDERS, strict=True)
    approver_group: list[UserRef] = Field(min_length=1, max_length=MAX_STAKEHOLDERS)


class DefineRuleIn(ApiModel):
    rule: AuthRuleIn


class InitiateTransactionIn(ApiModel):
    to_user_id: UserRef
    amount: Qirat
    remark: str | None = Field(None, max_length=500)


class AuthRuleOut(ReplyModel):
    amount_threshold: QiratOut
    required_approvers: int
    approver_group: list[str]


#: What only an organization's stakeholders and staff may see: its money, its members and
#: their on-chain ids. The public sees name, type and status.
Members = visible_to(STAKEHOLDER, STAFF)


class Organization(ReplyModel):
    org_id: str
    org_name: str | None
    account_type: str | None
    status: OrgStatus | None  # None only while the proposal itself is not projected
    country: Annotated[str | None, Members] = None
    stakeholders: Annotated[list[str] | None, Members] = None
    endorsements: Annotated[dict[str, bool] | None, Members] = None
    rules: Annotated[list[AuthRuleOut] | None, Members] = None
    balance: Annotated[str | None, Members] = None
    created_at: Annotated[str | None, Members] = None
    activated_at: Annotated[str | None, Members] = None


class OrganizationReply(ReplyModel):
    organization: Organization


class PendingTransaction(ReplyModel):
    pending_tx_id: str
    org_id: str
    status: PendingTxStatus
    to_id: Annotated[str | None, Members] = None
    amount: Annotated[str | None, Members] = None
    remark: Annotated[str | None, Members] = None
    initiator_id: Annotated[str | None, Members] = None
    required_approvals: Annotated[int | None, Members] = None
    approver_group: Annotated[list[str] | None, Members] = None
    error: Annotated[str | None, Members] = None
    approvals: Annotated[dict[str, bool] | None, Members] = None
    approval_count: Annotated[int | None, Members] = None
    initiated_at: Annotated[str | None, Members] = None
    executed_at: Annotated[str | None, Members] = None


class PendingTransactionReply(ReplyModel):
    pending_transaction: PendingTransaction


class PendingTransactionList(ReplyModel):
    pending_transactions: list[PendingTransaction]


#: The chain's PendingTxStatus values, spelled out because query parameters are inlined in the
#: OpenAPI document (no $defs); tests/unit/test_status_vocabulary.py keeps them equal.
PendingTxStatusName = Literal["Pending", "Executed", "ExecutionFailed", "Rejected"]


class TransactionListQuery(ApiModel):
    status: PendingTxStatusName | None = None
    limit: int = Field(50, ge=1, le=100)


class OrgBalance(ReplyModel):
    org_id: str
    balance: str
    is_frozen: bool
    updated_at: str | None


class OrgBalanceReply(ReplyModel):
    balance: OrgBalance
