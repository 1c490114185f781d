"""Trust score and relationship rules (spec/rules.md §8)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import trust
from shared.domain.errors import InvalidState, NotAuthorized, RuleViolation
from shared.domain.trust import Link
from shared.domain.trust import RelationshipType as T

ME = "me"


def score(*links: tuple[str, T, str]) -> int:
    return trust.trust_score(ME, [Link(s, o, t) for s, t, o in links])


def test_base_score_without_relationships() -> None:
    assert score() == 10


def test_each_family_category_from_my_point_of_view() -> None:
    assert score(("mum", T.PARENT_OF, ME)) == 40  # mum is my parent
    assert score((ME, T.CHILD_OF, "dad")) == 40  # same fact stated by me
    assert score((ME, T.SPOUSE_OF, "wife")) == 35
    assert score(("bro", T.SIBLING_OF, ME)) == 25
    assert score((ME, T.PARENT_OF, "kid")) == 20  # kid is my child
    assert score(("kid", T.CHILD_OF, ME)) == 20


def test_a_category_counts_once() -> None:
    assert score(("mum", T.PARENT_OF, ME), ("dad", T.PARENT_OF, ME)) == 40


def test_full_family_is_capped_at_80_and_loan_threshold_is_reachable() -> None:
    family = [("mum", T.PARENT_OF, ME), (ME, T.SPOUSE_OF, "w"), ("b", T.SIBLING_OF, ME),
              (ME, T.PARENT_OF, "k")]
    assert score(*family) == 90
    assert score(*family[:3]) == 80  # parents + spouse + siblings = 70 → 80 ≥ 75


def test_friends_one_each_up_to_ten() -> None:
    friends = [(f"f{i}", T.FRIEND_OF, ME) for i in range(15)]
    assert score(*friends[:3]) == 13
    assert score(*friends) == 20


def test_business_guardian_and_unrelated_links_score_nothing() -> None:
    assert score((ME, T.EMPLOYEE_OF, "acme"), ("p", T.BUSINESS_PARTNER_OF, ME),
                 (ME, T.GUARDIAN_OF, "w"), ("g", T.GUARDIAN_OF, ME)) == 10
    assert trust.trust_score(ME, [Link("a", "b", T.SPOUSE_OF)]) == 10


def test_pair_key_identifies_one_fact_from_either_side() -> None:
    assert trust.pair_key("a", "b", T.SPOUSE_OF) == trust.pair_key("b", "a", T.SPOUSE_OF)
    assert trust.pair_key("a", "b", T.PARENT_OF) == trust.pair_key("b", "a", T.CHILD_OF)
    assert trust.pair_key("a", "b", T.EMPLOYER_OF) == trust.pair_key("b", "a", T.EMPLOYEE_OF)
    assert trust.pair_key("a", "b", T.GUARDIAN_OF) == trust.pair_key("b", "a", T.WARD_OF)
    assert trust.pair_key("a", "b", T.PARENT_OF) != trust.pair_key("b", "a", T.PARENT_OF)


def test_request_and_response_checks() -> None:
    trust.check_request("a", "b")
    with pytest.raises(RuleViolation):
        trust.check_request("a", "a")
    with pytest.raises(RuleViolation):
        trust.parse_type("COUSIN_OF")
    trust.check_response(status="PendingConfirmation", object_id="b", actor_id="b")
    with pytest.raises(NotAuthorized):
        trust.check_response(status="PendingConfirmation", object_id="b", actor_id="a")
    with pytest.raises(InvalidState):
        trust.check_response(status="Confirmed", object_id="b", actor_id="b")


link_strategy = st.builds(
    Link,
    subject_id=st.sampled_from([ME, "a", "b", "c", "d"] + [f"f{i}" for i in range(14)]),
    object_id=st.sampled_from([ME, "a", "b", "c", "d"] + [f"f{i}" for i in range(14)]),
    type=st.sampled_from(list(T)),
)


@settings(max_examples=300, deadline=None)
@given(links=st.lists(link_strategy, max_size=40), extra=link_strategy)
def test_score_bounds_and_monotonicity(links: list[Link], extra: Link) -> None:
    value = trust.trust_score(ME, links)
    assert trust.BASE_SCORE <= value <= trust.MAX_SCORE - trust.BUSINESS_CAP
    # Confirming one more relationship never lowers anyone's score.
    assert trust.trust_score(ME, [*links, extra]) >= value
    # Order of confirmation does not matter.
    assert trust.trust_score(ME, list(reversed(links))) == value
