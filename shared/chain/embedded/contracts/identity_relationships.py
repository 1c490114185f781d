"""IdentityContract (relationships): the social graph and the trust score (rules.md §8).

RequestRelationship(subjectID, objectID, type) records "subject TYPE object" as
PendingConfirmation; only the object may ConfirmRelationship or RejectRelationship it (the acting
user passed explicitly, gaps.md C18). On confirmation the relationship becomes two-way and both
users' trust scores are recomputed from all their confirmed relationships (shared.domain.trust)
and stored on the user record, where loans read them. Each event carries both sides' current
scores, so the read side never recomputes them (events.md §6).

One fact has one key whichever side states it (A PARENT_OF B == B CHILD_OF A), so a relationship
cannot be requested twice while pending or confirmed; a rejected request frees the key.

Keys: relationship/<relID>, relpair/<fact key>, relby/<userID>/<relID> (both sides indexed).
"""

from __future__ import annotations

from typing import Any

from shared.chain.embedded import ledger_ops as ops
from shared.chain.embedded.contracts.identity import require_user
from shared.chain.embedded.framework import ANYONE, Stub, arg_text, chaincode, reject
from shared.domain import trust
from shared.domain.errors import ACCOUNT_LOCKED, ALREADY_EXISTS, NOT_FOUND

CONTRACT = "IdentityContract"
MAX_ID = 128


def relationship_key(stub: Stub, relationship_id: str) -> str:
    return stub.key("relationship", relationship_id)


def pair_index_key(stub: Stub, fact: str) -> str:
    return stub.key("relpair", fact)


def user_index_key(stub: Stub, user_id: str, relationship_id: str) -> str:
    return stub.key("relby", user_id, relationship_id)


def require_relationship(stub: Stub, relationship_id: str) -> dict[str, Any]:
    rel = stub.get_json(relationship_key(stub, relationship_id))
    if not rel:
        reject(NOT_FOUND, f"relationship {relationship_id} does not exist")
    return dict(rel)


def relationships_of(stub: Stub, user_id: str) -> list[dict[str, Any]]:
    found = []
    for _, ref in stub.get_by_prefix(stub.key_prefix("relby", user_id)):
        rel = stub.get_json(relationship_key(stub, ref["relationshipID"]))
        if rel:
            found.append(rel)
    return found


def recompute_trust_score(stub: Stub, user_id: str) -> int:
    """Score the user's confirmed relationships and store it on the user record."""
    user = require_user(stub, user_id)
    links = [
        trust.Link(rel["subjectID"], rel["objectID"], trust.RelationshipType(rel["type"]))
        for rel in relationships_of(stub, user_id)
        if rel["status"] == trust.RelationshipStatus.CONFIRMED.value
    ]
    score = trust.trust_score(user_id, links)
    if user.get("trustScore") != score:
        user["trustScore"] = score
        stub.put_json(ops.user_key(stub, user_id), user)
    return score


def _id(value: str, name: str) -> str:
    return arg_text(value, name, max_len=MAX_ID).strip()


def _event(
    stub: Stub, rel: dict[str, Any], subject_score: int, object_score: int
) -> dict[str, Any]:
    return {
        "relationshipID": rel["relationshipID"], "subjectID": rel["subjectID"],
        "objectID": rel["objectID"], "type": rel["type"], "status": rel["status"],
        "timestamp": int(stub.tx_timestamp.timestamp()),
        "subjectTrustScore": subject_score, "objectTrustScore": object_score,
    }


@chaincode(CONTRACT, "RequestRelationship", roles=ANYONE)
def request_relationship(
    stub: Stub, subject_id: str, object_id: str, rel_type: str
) -> dict[str, Any]:
    subject = _id(subject_id, "subjectID")
    obj = _id(object_id, "objectID")
    kind = trust.parse_type(rel_type.strip())
    trust.check_request(subject, obj)
    requester = require_user(stub, subject)
    if requester["status"] != ops.ACTIVE:
        reject(ACCOUNT_LOCKED, f"user {subject} is {requester['status']}")
    other = require_user(stub, obj)
    fact = trust.pair_key(subject, obj, kind)
    existing = stub.get_json(pair_index_key(stub, fact))
    if existing:
        reject(ALREADY_EXISTS, f"this relationship already exists ({existing['relationshipID']})")
    rel_id = trust.relationship_id(stub.tx_id)
    rel = {
        "relationshipID": rel_id, "subjectID": subject, "objectID": obj, "type": kind.value,
        "status": trust.RelationshipStatus.PENDING.value,
        "requestedAt": stub.tx_timestamp.isoformat(), "respondedAt": None,
    }
    stub.put_json(relationship_key(stub, rel_id), rel)
    stub.put_json(pair_index_key(stub, fact), {"relationshipID": rel_id})
    stub.put_json(user_index_key(stub, subject, rel_id), {"relationshipID": rel_id})
    stub.put_json(user_index_key(stub, obj, rel_id), {"relationshipID": rel_id})
    stub.set_event("RelationshipRequested", _event(
        stub, rel, int(requester["trustScore"]), int(other["trustScore"])))
    return {"relationshipID": rel_id, "status": rel["status"]}


@chaincode(CONTRACT, "ConfirmRelationship", roles=ANYONE)
def confirm_relationship(stub: Stub, relationship_id: str, actor_id: str) -> dict[str, Any]:
    rel = require_relationship(stub, _id(relationship_id, "relationshipID"))
    trust.check_response(status=rel["status"], object_id=rel["objectID"],
                         actor_id=_id(actor_id, "actorID"))
    rel.update(status=trust.RelationshipStatus.CONFIRMED.value,
               respondedAt=stub.tx_timestamp.isoformat())
    stub.put_json(relationship_key(stub, rel["relationshipID"]), rel)
    subject_score = recompute_trust_score(stub, rel["subjectID"])
    object_score = recompute_trust_score(stub, rel["objectID"])
    payload = _event(stub, rel, subject_score, object_score)
    stub.set_event("RelationshipConfirmed", payload)
    return payload


@chaincode(CONTRACT, "RejectRelationship", roles=ANYONE)
def reject_relationship(stub: Stub, relationship_id: str, actor_id: str) -> dict[str, Any]:
    rel = require_relationship(stub, _id(relationship_id, "relationshipID"))
    trust.check_response(status=rel["status"], object_id=rel["objectID"],
                         actor_id=_id(actor_id, "actorID"))
    rel.update(status=trust.RelationshipStatus.REJECTED.value,
               respondedAt=stub.tx_timestamp.isoformat())
    stub.put_json(relationship_key(stub, rel["relationshipID"]), rel)
    # A refusal is not permanent: the same fact may be requested again later.
    stub.del_state(pair_index_key(stub, trust.pair_key(
        rel["subjectID"], rel["objectID"], trust.RelationshipType(rel["type"]))))
    subject = require_user(stub, rel["subjectID"])
    obj = require_user(stub, rel["objectID"])
    payload = _event(stub, rel, int(subject["trustScore"]), int(obj["trustScore"]))
    stub.set_event("RelationshipRejected", payload)
    return payload


@chaincode(CONTRACT, "GetRelationships", roles=ANYONE, query=True)
def get_relationships(stub: Stub, user_id: str) -> list[dict[str, Any]]:
    """Every relationship the user is part of (either side, any status), oldest first."""
    uid = _id(user_id, "userID")
    require_user(stub, uid)
    return sorted(relationships_of(stub, uid),
                  key=lambda r: (r["requestedAt"], r["relationshipID"]))


@chaincode(CONTRACT, "GetTrustScore", roles=ANYONE, query=True)
def get_trust_score(stub: Stub, user_id: str) -> dict[str, Any]:
    uid = _id(user_id, "userID")
    user = require_user(stub, uid)
    return {"userID": uid, "trustScore": int(user["trustScore"])}
