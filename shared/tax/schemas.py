"""Request and reply models of the tax service (spec endpoints.md §7 with its Required notes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from shared.api import OWNER, STAFF, STAKEHOLDER, ApiModel, Qirat, ReplyModel, visible_to


class FeeCalculationIn(ApiModel):
    """Either both accounts (the type and scope are then detected exactly as the chain does) or an
    explicit transaction type and scope."""

    amount: Qirat
    from_account_id: str | None = Field(None, max_length=100)
    to_account_id: str | None = Field(None, max_length=100)
    transaction_type: Literal["P2P", "MERCHANT", "GOVERNMENT", "B2B"] | None = None
    scope: Literal["LOCAL", "CROSS_BORDER"] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> FeeCalculationIn:
        accounts = (self.from_account_id, self.to_account_id)
        if any(accounts) and not all(accounts):
            raise ValueError("give both fromAccountId and toAccountId, or neither")
        if all(accounts) and (self.transaction_type or self.scope):
            raise ValueError("transactionType and scope are detected from the accounts")
        return self


class ApplyVelocityTaxIn(ApiModel):
    account_id: str = Field(min_length=1, max_length=100)


class EligibilityReply(ReplyModel):
    eligible: bool
    reason: str
    #: The account's balance and timer: its owner's (or organization's) business and staff's.
    details: Annotated[dict[str, Any] | None, visible_to(OWNER, STAKEHOLDER, STAFF)] = None
