"""Relationship commands (IdentityContract): request, confirm, reject.

The acting user is an argument (gaps.md C18): the requester is the subject; only the object may
confirm or reject, which the chain checks. Requests for one fact, whichever side states it, share
an aggregate (`shared.domain.trust.pair_key`), so they are submitted in acceptance order.
"""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from shared.chain.catalogue import CommandDef, define
from shared.chain.catalogue.tokenomics import AccountId, Strict
from shared.chain.port import ServiceIdentity
from shared.domain import trust

CONTRACT = "IdentityContract"
SERVICE = "identity"

Id = AccountId


class Payload(Strict):
    """camelCase on the wire (as the commands.md payloads), closed, frozen."""

    model_config = ConfigDict(alias_generator=to_camel)


class RequestRelationship(Payload):
    subject_id: Id
    object_id: Id
    type: trust.RelationshipType


class AnswerRelationship(Payload):
    relationship_id: Id
    actor_id: Id


define(CommandDef(
    type="REQUEST_RELATIONSHIP", contract=CONTRACT, function="RequestRelationship",
    payload=RequestRelationship, args=lambda p: [p.subject_id, p.object_id, p.type.value],
    identity=ServiceIdentity.PARTNER_API,
    aggregate=lambda p: f"relationship:{trust.pair_key(p.subject_id, p.object_id, p.type)}",
    service=SERVICE,
    description="Ask another user to confirm a relationship (subject TYPE object).",
))
define(CommandDef(
    type="CONFIRM_RELATIONSHIP", contract=CONTRACT, function="ConfirmRelationship",
    payload=AnswerRelationship, args=lambda p: [p.relationship_id, p.actor_id],
    identity=ServiceIdentity.PARTNER_API, aggregate=lambda p: f"relationship:{p.relationship_id}",
    service=SERVICE,
    description="The requested user confirms; both trust scores are recomputed.",
))
define(CommandDef(
    type="REJECT_RELATIONSHIP", contract=CONTRACT, function="RejectRelationship",
    payload=AnswerRelationship, args=lambda p: [p.relationship_id, p.actor_id],
    identity=ServiceIdentity.PARTNER_API, aggregate=lambda p: f"relationship:{p.relationship_id}",
    service=SERVICE,
    description="The requested user declines the relationship.",
))
