"""Relationship use cases: request, confirm, reject, list, and the trust score (rules.md §8).

Commands go to the chain's IdentityContract with the acting user explicit (gaps.md C18); only the
requested user (the object) may answer, once, a pending request. The trust score is the chain's,
as projected from the relationship events (rm_chain_users); its breakdown is recomputed here from
the confirmed relationships with the chain's own scoring (shared.domain.trust), which is how the
loan pool's pre-check and the chain agree.
"""

from __future__ import annotations

import functools
from typing import Any

from shared.auth import Principal
from shared.domain import trust
from shared.domain.errors import RuleViolation
from shared.errors import Conflict, Forbidden, NotFound
from shared.organization import common
from shared.outbox import Enqueued
from shared.readmodels import system as system_rm
from shared.relationships.schemas import RequestRelationshipIn
from shared.tokenomics import parties

SOURCE = "identity"
_queue = functools.partial(common.queue, SOURCE)
_queue_once = functools.partial(common.queue_once, SOURCE)
_LIVE = frozenset({trust.RelationshipStatus.PENDING.value, trust.RelationshipStatus.CONFIRMED.value})



def request(caller: Principal, body: RequestRelationshipIn, *, idempotency_key: str) -> Enqueued:
    me = common.actor(caller)
    if body.subject_id is not None and body.subject_id not in (me.profile_id, me.chain_id):
        raise Forbidden("you can only state your own relationships", code="NOT_SUBJECT")
    other = common.user_ref(body.object_id, field="objectId")
    try:
        trust.check_request(me.chain_id, other.chain_id)
    except RuleViolation as exc:
        raise common.refusal(exc, field="objectId") from None
    fact = trust.pair_key(me.chain_id, other.chain_id, body.type)
    for rel in system_rm.list_relationships(me.chain_id, tenant=common.tenant()):
        same = trust.pair_key(rel["subjectId"], rel["objectId"], trust.RelationshipType(rel["type"]))
        if same == fact and rel["status"] in _LIVE:
            raise Conflict("this relationship already exists", code="RELATIONSHIP_EXISTS",
                           relationshipId=rel["relationshipId"])
    return _queue(caller, "REQUEST_RELATIONSHIP", {
        "subjectId": me.chain_id, "objectId": other.chain_id, "type": body.type.value},
        idempotency_key)


def answer(caller: Principal, relationship_id: str, *, confirm: bool) -> Enqueued:
    me = common.actor(caller)
    rel = next((r for r in system_rm.list_relationships(me.chain_id, tenant=common.tenant())
                if r["relationshipId"] == relationship_id), None)
    if rel is None:
        raise NotFound("no such relationship", code="RELATIONSHIP_NOT_FOUND")
    try:
        trust.check_response(status=rel["status"], object_id=rel["objectId"], actor_id=me.chain_id)
    except RuleViolation as exc:
        raise common.refusal(exc) from None
    # Confirming and rejecting share one key: a request is answered once, either way.
    key, existing = common.one_time_key(f"relationship-answer:{relationship_id}")
    message = "this relationship has already been answered"
    if existing is not None:
        raise Conflict(message, code="ALREADY_ANSWERED", commandId=existing["id"])
    command = _queue(caller, "CONFIRM_RELATIONSHIP" if confirm else "REJECT_RELATIONSHIP",
                     {"relationshipId": relationship_id, "actorId": me.chain_id}, key)
    if not command.created:
        raise Conflict(message, code="ALREADY_ANSWERED", commandId=command.id)
    return command


def relationships_of(profile_id: str) -> list[dict[str, Any]]:
    chain_id = common.chain_id_of_profile(profile_id)
    if chain_id is None:
        return []
    return system_rm.list_relationships(chain_id, tenant=common.tenant())


def trust_score(profile_id: str) -> dict[str, Any]:
    chain_id = common.chain_id_of_profile(profile_id)
    confirmed = [
        trust.Link(r["subjectId"], r["objectId"], trust.RelationshipType(r["type"]))
        for r in (system_rm.list_relationships(chain_id, tenant=common.tenant()) if chain_id else [])
        if r["status"] == trust.RelationshipStatus.CONFIRMED.value
    ]
    user = system_rm.get_chain_user(chain_id, tenant=common.tenant()) if chain_id else None
    score = int(user["trustScore"]) if user and user["trustScore"] is not None else trust.BASE_SCORE
    categories = {trust.category_for(chain_id, link) for link in confirmed} if chain_id else set()
    friends = len({link.object_id if link.subject_id == chain_id else link.subject_id
                   for link in confirmed
                   if chain_id and trust.category_for(chain_id, link) is trust.Category.FRIEND})
    family = min(trust.FAMILY_CAP, sum(trust.FAMILY_POINTS[c] for c in categories
                                       if c in trust.FAMILY_POINTS))
    minimum = parties.params().num("loanMinTrustScore")
    return {
        "profileId": profile_id, "userId": chain_id, "trustScore": score,
        "base": trust.BASE_SCORE, "family": family,
        "friends": min(trust.FRIENDS_CAP, friends), "confirmedRelationships": len(confirmed),
        "loanMinimum": minimum, "loanEligible": score >= minimum,
    }


