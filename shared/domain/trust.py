"""Relationships and the on-chain trust score: the pure rules (spec/rules.md §8).

Score = base 10 + family (parents +30, spouse +25, siblings +15, children +10; capped at 80) +
friends (+1 per confirmed friend, at most 10) + business (up to 10 on paper, not implemented on
chain, so 0). Each family category counts once, however many relatives confirm in it: the four
weights add up to exactly the family cap, which is how the chain's table reads. The maximum the
rules can produce today is therefore 100 (110 once business points exist).

Relationships are directed (`subject TYPE object`, e.g. A PARENT_OF B: A is B's parent) and count
only once the object has confirmed them; a confirmed relationship is two-way, so it scores for
both sides, each from its own point of view (A gains a child, B gains a parent).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from shared.domain.errors import InvalidState, NotAuthorized, RuleViolation

BASE_SCORE = 10
FAMILY_CAP = 80
FRIENDS_CAP = 10
BUSINESS_CAP = 10  # documented on chain, never implemented: always contributes 0
MAX_SCORE = BASE_SCORE + FAMILY_CAP + FRIENDS_CAP + BUSINESS_CAP

_RELATIONSHIP_NAMESPACE = uuid.UUID("4d6e8f10-2a3b-4c5d-9e7f-8091a2b3c4d5")


class RelationshipType(str, Enum):
    FRIEND_OF = "FRIEND_OF"
    PARENT_OF = "PARENT_OF"
    CHILD_OF = "CHILD_OF"
    GUARDIAN_OF = "GUARDIAN_OF"
    WARD_OF = "WARD_OF"
    SPOUSE_OF = "SPOUSE_OF"
    SIBLING_OF = "SIBLING_OF"
    BUSINESS_PARTNER_OF = "BUSINESS_PARTNER_OF"
    EMPLOYEE_OF = "EMPLOYEE_OF"
    EMPLOYER_OF = "EMPLOYER_OF"


class RelationshipStatus(str, Enum):
    PENDING = "PendingConfirmation"
    CONFIRMED = "Confirmed"
    REJECTED = "Rejected"


class Category(str, Enum):
    PARENT = "parent"
    SPOUSE = "spouse"
    SIBLING = "sibling"
    CHILD = "child"
    FRIEND = "friend"
    BUSINESS = "business"
    NONE = "none"  # guardian/ward: recorded, no points


FAMILY_POINTS = {Category.PARENT: 30, Category.SPOUSE: 25, Category.SIBLING: 15,
                 Category.CHILD: 10}

# What the OTHER party is to the user, by relationship type and the user's side of it.
_AS_SUBJECT = {
    RelationshipType.PARENT_OF: Category.CHILD,  # I am their parent: they are my child
    RelationshipType.CHILD_OF: Category.PARENT,
    RelationshipType.SPOUSE_OF: Category.SPOUSE,
    RelationshipType.SIBLING_OF: Category.SIBLING,
    RelationshipType.FRIEND_OF: Category.FRIEND,
    RelationshipType.GUARDIAN_OF: Category.NONE,
    RelationshipType.WARD_OF: Category.NONE,
    RelationshipType.BUSINESS_PARTNER_OF: Category.BUSINESS,
    RelationshipType.EMPLOYEE_OF: Category.BUSINESS,
    RelationshipType.EMPLOYER_OF: Category.BUSINESS,
}
_AS_OBJECT = {
    **_AS_SUBJECT,
    RelationshipType.PARENT_OF: Category.PARENT,  # they are my parent
    RelationshipType.CHILD_OF: Category.CHILD,
}

# Types whose meaning does not depend on direction: A SPOUSE_OF B duplicates B SPOUSE_OF A.
_SYMMETRIC = frozenset({RelationshipType.SPOUSE_OF, RelationshipType.SIBLING_OF,
                        RelationshipType.FRIEND_OF, RelationshipType.BUSINESS_PARTNER_OF})
# And pairs that state the same fact from opposite ends.
_INVERSE = {
    RelationshipType.PARENT_OF: RelationshipType.CHILD_OF,
    RelationshipType.CHILD_OF: RelationshipType.PARENT_OF,
    RelationshipType.GUARDIAN_OF: RelationshipType.WARD_OF,
    RelationshipType.WARD_OF: RelationshipType.GUARDIAN_OF,
    RelationshipType.EMPLOYEE_OF: RelationshipType.EMPLOYER_OF,
    RelationshipType.EMPLOYER_OF: RelationshipType.EMPLOYEE_OF,
}


class RelationshipRejected(RuleViolation):
    """A relationship rule failed; `reason` names which one."""


@dataclass(frozen=True, slots=True)
class Link:
    """One confirmed relationship as the scoring sees it."""

    subject_id: str
    object_id: str
    type: RelationshipType


def parse_type(raw: str) -> RelationshipType:
    try:
        return RelationshipType(raw)
    except ValueError:
        raise RelationshipRejected(f"unknown relationship type {raw!r}",
                                   reason="INVALID_RELATIONSHIP_TYPE") from None


def check_request(subject_id: str, object_id: str) -> None:
    if not subject_id or not object_id:
        raise RelationshipRejected("both user ids are required", reason="INVALID_RELATIONSHIP")
    if subject_id == object_id:
        raise RelationshipRejected("a user cannot relate to themselves",
                                   reason="SELF_RELATIONSHIP")


def check_response(*, status: str, object_id: str, actor_id: str) -> None:
    """Only the object (the user asked to confirm) answers, and only a pending request."""
    if actor_id != object_id:
        raise NotAuthorized("only the requested user may answer this relationship",
                            reason="NOT_RELATIONSHIP_OBJECT")
    if status != RelationshipStatus.PENDING.value:
        raise InvalidState(f"the relationship is {status}, not PendingConfirmation",
                           reason="RELATIONSHIP_NOT_PENDING", status=status)


def pair_key(subject_id: str, object_id: str, rtype: RelationshipType) -> str:
    """One key per fact, whichever side states it, so a duplicate request is detectable:
    A SPOUSE_OF B == B SPOUSE_OF A, and A PARENT_OF B == B CHILD_OF A."""
    if rtype in _SYMMETRIC:
        a, b = sorted((subject_id, object_id))
        return f"{rtype.value}|{a}|{b}"
    inverse = _INVERSE.get(rtype)
    if inverse is not None and rtype.value > inverse.value:
        return f"{inverse.value}|{object_id}|{subject_id}"
    return f"{rtype.value}|{subject_id}|{object_id}"


def category_for(user_id: str, link: Link) -> Category:
    """What the other party of a confirmed link is to `user_id`."""
    if user_id == link.subject_id:
        return _AS_SUBJECT[link.type]
    if user_id == link.object_id:
        return _AS_OBJECT[link.type]
    return Category.NONE


def trust_score(user_id: str, confirmed: Iterable[Link]) -> int:
    """The user's score from their confirmed links (links not involving them are ignored)."""
    categories: set[Category] = set()
    friends: set[str] = set()
    for link in confirmed:
        category = category_for(user_id, link)
        if category is Category.FRIEND:
            friends.add(link.object_id if link.subject_id == user_id else link.subject_id)
        elif category in FAMILY_POINTS:
            categories.add(category)
    family = min(FAMILY_CAP, sum(FAMILY_POINTS[c] for c in categories))
    return BASE_SCORE + family + min(FRIENDS_CAP, len(friends))


def relationship_id(chain_tx_id: str) -> str:
    """`REL_<uuid>`, a pure function of the chain tx id (re-execution reproduces it)."""
    return f"REL_{uuid.uuid5(_RELATIONSHIP_NAMESPACE, chain_tx_id)}"
