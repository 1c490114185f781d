"""IdentityContract relationships: request, confirm, reject, trust score recomputation."""

from __future__ import annotations

import pytest

from shared.chain.port import BusinessRejection, Committed
from tests.integration.chain.support import PARTNER, Chain

C = "IdentityContract"


def request(chain: Chain, subject: str, obj: str, kind: str) -> str:
    committed = chain.call(C, "RequestRelationship", subject, obj, kind, identity=PARTNER)
    return str(committed.result["relationshipID"])


def answer(chain: Chain, function: str, rel: str, actor: str) -> Committed:
    return chain.call(C, function, rel, actor, identity=PARTNER)


def refused(chain: Chain, code: str, function: str, *args: object) -> None:
    with pytest.raises(BusinessRejection) as info:
        chain.call(C, function, *args, identity=PARTNER)
    assert info.value.code == code, info.value.message


def score(chain: Chain, user: str) -> int:
    return int(chain.query(C, "GetUser", user)["trustScore"])


def test_confirmation_recomputes_both_scores(booted: Chain) -> None:
    parent, child = booted.create_user(), booted.create_user()
    committed = booted.call(C, "RequestRelationship", parent, child, "PARENT_OF", identity=PARTNER)
    rel = committed.result["relationshipID"]
    event = committed.event
    assert event is not None and event.name == "RelationshipRequested"
    assert event.payload["status"] == "PendingConfirmation"
    assert (event.payload["subjectTrustScore"], event.payload["objectTrustScore"]) == (10, 10)
    assert score(booted, child) == 10  # pending relationships score nothing

    refused(booted, "NOT_AUTHORIZED", "ConfirmRelationship", rel, parent)  # only the object
    committed = answer(booted, "ConfirmRelationship", rel, child)
    event = committed.event
    assert event is not None and event.name == "RelationshipConfirmed"
    # The child gains a parent (+30), the parent gains a child (+10).
    assert (event.payload["subjectTrustScore"], event.payload["objectTrustScore"]) == (20, 40)
    assert score(booted, parent) == 20 and score(booted, child) == 40
    refused(booted, "INVALID_STATE", "ConfirmRelationship", rel, child)
    refused(booted, "INVALID_STATE", "RejectRelationship", rel, child)

    listed = booted.query(C, "GetRelationships", child)
    assert [(r["relationshipID"], r["status"]) for r in listed] == [(rel, "Confirmed")]
    assert booted.query(C, "GetRelationships", parent) == listed
    assert booted.query(C, "GetTrustScore", child) == {"userID": child, "trustScore": 40}


def test_family_cap_and_friends(booted: Chain) -> None:
    me = booted.create_user()
    for kind in ("PARENT_OF", "SPOUSE_OF", "SIBLING_OF"):
        answer(booted, "ConfirmRelationship", request(booted, booted.create_user(), me, kind), me)
    kid = booted.create_user()
    answer(booted, "ConfirmRelationship", request(booted, me, kid, "PARENT_OF"), kid)
    assert score(booted, me) == 90  # family 30 + 25 + 15 + 10 = 80, the cap
    friends = [booted.create_user() for _ in range(11)]
    for friend in friends:
        answer(booted, "ConfirmRelationship", request(booted, friend, me, "FRIEND_OF"), me)
    assert score(booted, me) == 100  # friends stop at +10
    assert score(booted, friends[0]) == 11


def test_rejection_and_duplicates(booted: Chain) -> None:
    a, b = booted.create_user(), booted.create_user()
    rel = request(booted, a, b, "SPOUSE_OF")
    refused(booted, "ALREADY_EXISTS", "RequestRelationship", a, b, "SPOUSE_OF")
    refused(booted, "ALREADY_EXISTS", "RequestRelationship", b, a, "SPOUSE_OF")  # same fact
    refused(booted, "NOT_AUTHORIZED", "RejectRelationship", rel, a)
    committed = answer(booted, "RejectRelationship", rel, b)
    assert committed.event is not None and committed.event.name == "RelationshipRejected"
    assert committed.event.payload["status"] == "Rejected"
    assert score(booted, a) == score(booted, b) == 10
    # A refusal is not permanent; a confirmed fact cannot be requested again.
    rel = request(booted, b, a, "SPOUSE_OF")
    answer(booted, "ConfirmRelationship", rel, a)
    refused(booted, "ALREADY_EXISTS", "RequestRelationship", a, b, "SPOUSE_OF")
    # The inverse statement of a parent link is the same fact.
    request(booted, a, b, "PARENT_OF")
    refused(booted, "ALREADY_EXISTS", "RequestRelationship", b, a, "CHILD_OF")


def test_request_rejections(booted: Chain) -> None:
    a = booted.create_user()
    refused(booted, "INVALID_ARGUMENT", "RequestRelationship", a, a, "FRIEND_OF")
    refused(booted, "INVALID_ARGUMENT", "RequestRelationship", a, booted.create_user(), "COUSIN_OF")
    refused(booted, "NOT_FOUND", "RequestRelationship", a, "ghost", "FRIEND_OF")
    refused(booted, "NOT_FOUND", "RequestRelationship", "ghost", a, "FRIEND_OF")
    refused(booted, "NOT_FOUND", "ConfirmRelationship", "REL_nope", a)
    with pytest.raises(BusinessRejection) as info:
        booted.query(C, "GetRelationships", "ghost")
    assert info.value.code == "NOT_FOUND"


def test_business_relationships_score_nothing_yet(booted: Chain) -> None:
    worker, boss = booted.create_user(), booted.create_user()
    answer(booted, "ConfirmRelationship", request(booted, worker, boss, "EMPLOYEE_OF"), boss)
    assert score(booted, worker) == score(booted, boss) == 10
