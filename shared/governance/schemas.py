"""Request and reply models of governance (spec endpoints.md §6 with its Required behaviour).
Votes are strict JSON booleans (gaps.md B18); statuses are the chain's enum
(shared.domain.governance.ProposalStatus: no invented "Passed", gaps.md B13)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from shared.api import STAFF, ApiModel, ReplyModel, visible_to
from shared.domain.governance import ProposalStatus


class SubmitProposalIn(ApiModel):
    target_param: str = Field(min_length=1, max_length=100, description="a governable parameter")
    new_value: str = Field(min_length=1, max_length=100)
    proposer_id: str | None = Field(None, max_length=128, description="optional; the caller")


class VoteIn(ApiModel):
    vote: StrictBool = Field(description="true = for, false = against (a JSON boolean)")


class Proposal(ReplyModel):
    proposal_id: str
    target_param: str | None
    new_value: str | None
    proposer_id: Annotated[str | None, visible_to(STAFF)] = None  # an admin's on-chain id
    status: ProposalStatus
    error: str | None
    for_votes: int
    against_votes: int
    end_time: str | None
    submitted_at: str | None
    executed_at: str | None


class ProposalReply(ReplyModel):
    proposal: Proposal


class ProposalList(ReplyModel):
    proposals: list[Proposal]


#: The chain's ProposalStatus values, spelled out because query parameters are inlined in the
#: OpenAPI document (no $defs); tests/unit/test_status_vocabulary.py keeps them equal.
ProposalStatusName = Literal["Active", "Executed", "Failed", "FailedExecution"]


class ProposalListQuery(ApiModel):
    status: ProposalStatusName | None = None
    limit: int = Field(50, ge=1, le=100)
