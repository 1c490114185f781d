"""Request and reply models of relationships and the trust score (spec rules.md §8). Types and
statuses are the chain's enums (shared.domain.trust)."""

from __future__ import annotations

from pydantic import Field

from shared.api import ApiModel, ReplyModel
from shared.domain.trust import RelationshipStatus, RelationshipType


class RequestRelationshipIn(ApiModel):
    object_id: str = Field(min_length=1, max_length=128,
                           description="the other user (profile id or on-chain id)")
    type: RelationshipType = Field(description="read as: caller TYPE object (e.g. CHILD_OF)")
    subject_id: str | None = Field(None, max_length=128, description="optional; the caller")


class Relationship(ReplyModel):
    relationship_id: str
    subject_id: str
    object_id: str
    type: RelationshipType
    status: RelationshipStatus
    requested_at: str | None
    confirmed_at: str | None


class RelationshipList(ReplyModel):
    relationships: list[Relationship]


class TrustScore(ReplyModel):
    profile_id: str
    user_id: str | None
    trust_score: int
    base: int
    family: int
    friends: int
    confirmed_relationships: int
    loan_minimum: int
    loan_eligible: bool


class TrustScoreReply(ReplyModel):
    trust_score: TrustScore
