"""Relationship and trust-score functions against real PostgreSQL/Redis: a request names the
caller as subject and refuses duplicates of the same fact (whichever side states it), only the
requested user answers, once, and the trust score is the projected chain score with its
breakdown."""

from __future__ import annotations

from tests.functions.organization import world
from tests.functions.organization.world import accepted, problem


def request(caller: world.User, body: dict) -> object:  # type: ignore[type-arg]
    return caller.call("request_relationship", "POST", "/api/v1/relationships", json=body)


def test_request_names_the_caller_as_subject() -> None:
    x, p = world.user(), world.user()
    accepted(request(x, {"objectId": p.profile_id, "type": "CHILD_OF"}))
    (cmd,) = world.commands(x, "REQUEST_RELATIONSHIP")
    assert cmd["payload"] == {"subjectId": x.chain_id, "objectId": p.chain_id, "type": "CHILD_OF"}


def test_request_refusals() -> None:
    x, p = world.user(), world.user()
    problem(request(x, {"objectId": x.profile_id, "type": "FRIEND_OF"}), 422, "SELF_RELATIONSHIP")
    problem(request(x, {"objectId": p.profile_id, "type": "COUSIN_OF"}), 422)
    problem(request(x, {"objectId": "nobody", "type": "FRIEND_OF"}), 422, "USER_NOT_FOUND")
    problem(request(x, {"objectId": p.profile_id, "type": "FRIEND_OF",
                        "subjectId": p.profile_id}), 403, "NOT_SUBJECT")
    # p PARENT_OF x is the same fact as x CHILD_OF p.
    world.relationship(p, x, "PARENT_OF", "Confirmed")
    problem(request(x, {"objectId": p.profile_id, "type": "CHILD_OF"}), 409,
            "RELATIONSHIP_EXISTS")
    # A rejected request does not block asking again.
    s = world.user()
    world.relationship(x, s, "SPOUSE_OF", "Rejected")
    accepted(request(s, {"objectId": x.chain_id, "type": "SPOUSE_OF"}))


def test_only_the_object_answers_a_pending_request_once() -> None:
    x, p, other = world.user(), world.user(), world.user()
    rel = world.relationship(x, p, "CHILD_OF", "PendingConfirmation")
    confirm = f"/api/v1/relationships/{rel}/confirm"
    reject = f"/api/v1/relationships/{rel}/reject"
    problem(x.call("confirm_relationship", "POST", confirm), 403, "NOT_RELATIONSHIP_OBJECT")
    problem(other.call("confirm_relationship", "POST", confirm), 404, "RELATIONSHIP_NOT_FOUND")
    body = accepted(p.call("confirm_relationship", "POST", confirm))
    assert body["relationshipId"] == rel
    (cmd,) = world.commands(p, "CONFIRM_RELATIONSHIP")
    assert cmd["payload"] == {"relationshipId": rel, "actorId": p.chain_id}
    problem(p.call("reject_relationship", "POST", reject), 409, "ALREADY_ANSWERED")
    done = world.relationship(x, p, "SIBLING_OF", "Confirmed")
    problem(p.call("reject_relationship", "POST", f"/api/v1/relationships/{done}/reject"), 409,
            "RELATIONSHIP_NOT_PENDING")
    spare = world.relationship(other, p, "FRIEND_OF", "PendingConfirmation")
    accepted(p.call("reject_relationship", "POST", f"/api/v1/relationships/{spare}/reject"))
    (cmd,) = world.commands(p, "REJECT_RELATIONSHIP")
    assert cmd["payload"] == {"relationshipId": spare, "actorId": p.chain_id}


def test_list_and_trust_score() -> None:
    x = world.user(trust=80)
    parent, spouse, sibling, stranger = world.user(), world.user(), world.user(), world.user()
    world.relationship(x, parent, "CHILD_OF", "Confirmed")
    world.relationship(spouse, x, "SPOUSE_OF", "Confirmed")
    world.relationship(x, sibling, "SIBLING_OF", "Confirmed")
    world.relationship(x, stranger, "FRIEND_OF", "PendingConfirmation")
    listed = x.call("list_relationships", "GET",
                    f"/api/v1/users/{x.profile_id}/relationships").get_json()["relationships"]
    assert sorted(r["status"] for r in listed) == ["Confirmed"] * 3 + ["PendingConfirmation"]
    score = x.call("get_trust_score", "GET",
                   f"/api/v1/users/{x.profile_id}/trust-score").get_json()["trustScore"]
    assert score == {"profileId": x.profile_id, "userId": x.chain_id, "trustScore": 80,
                     "base": 10, "family": 70, "friends": 0, "confirmedRelationships": 3,
                     "loanMinimum": 75, "loanEligible": True}
    low = world.user(trust=10)
    assert low.call("get_trust_score", "GET", f"/api/v1/users/{low.profile_id}/trust-score"
                    ).get_json()["trustScore"]["loanEligible"] is False
    problem(low.call("get_trust_score", "GET", f"/api/v1/users/{x.profile_id}/trust-score"), 403)
    admin = world.user(role="ADMIN", on_chain=False)
    assert admin.call("list_relationships", "GET",
                      f"/api/v1/users/{x.profile_id}/relationships").status_code == 200
