"""Request and reply models of the loan pool (spec endpoints.md §5 with its Required behaviour).
Loan statuses are the chain's enum (shared.domain.loans.LoanStatus; gaps.md B13)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.api import ApiModel, Qirat, ReplyModel
from shared.domain.loans import LoanStatus


class ApplyForLoanIn(ApiModel):
    amount: Qirat = Field(description="Qirat, within the chain's bounds (100..1,000,000 coins)")
    collateral_hash: str = Field(pattern=r"^[a-f0-9]{64}$",
                                 description="SHA-256 (hex) of the collateral documents")
    borrower_id: str | None = Field(None, max_length=128, description="optional; the caller")


class Loan(ReplyModel):
    loan_id: str
    borrower_id: str | None
    amount: str | None
    collateral_hash: str | None
    status: LoanStatus
    applied_at: str | None
    approved_at: str | None
    approved_by: str | None
    closed_at: str | None


class LoanReply(ReplyModel):
    loan: Loan


class LoanList(ReplyModel):
    loans: list[Loan]


#: The chain's LoanStatus values, spelled out because query parameters are inlined in the OpenAPI
#: document (no $defs); tests/unit/test_status_vocabulary.py keeps them equal.
LoanStatusName = Literal["PendingApproval", "Active", "Paid", "Defaulted"]


class LoanListQuery(ApiModel):
    status: LoanStatusName | None = None
    limit: int = Field(50, ge=1, le=100)
