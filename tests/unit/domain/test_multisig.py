"""Organization and multisig rules: stakeholders, auth rules, rule selection, approvals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import multisig as ms
from shared.domain.errors import (
    AlreadyExists,
    InvalidAmount,
    InvalidState,
    NotAuthorized,
    RuleViolation,
)

PEOPLE = ["ceo", "cfo", "coo", "treasurer"]


def reason(exc: pytest.ExceptionInfo[RuleViolation]) -> str:
    return str(exc.value.fields["reason"])


# --- proposing ---------------------------------------------------------------------------------

def test_stakeholders_accepts_distinct_list_with_proposer() -> None:
    assert ms.check_stakeholders(PEOPLE, "cfo") == tuple(PEOPLE)


@pytest.mark.parametrize(
    ("stakeholders", "proposer", "expected"),
    [
        (["ceo"], "ceo", "STAKEHOLDER_COUNT"),
        ([f"u{i}" for i in range(21)], "u0", "STAKEHOLDER_COUNT"),
        (["ceo", "ceo", "cfo"], "ceo", "DUPLICATE_STAKEHOLDERS"),
        (["ceo", ""], "ceo", "INVALID_STAKEHOLDERS"),
        ("ceo,cfo", "ceo", "INVALID_STAKEHOLDERS"),
        (["ceo", 7], "ceo", "INVALID_STAKEHOLDERS"),
    ],
)
def test_stakeholders_rejected(stakeholders: object, proposer: str, expected: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        ms.check_stakeholders(stakeholders, proposer)  # type: ignore[arg-type]
    assert reason(exc) == expected


def test_proposer_must_be_a_stakeholder() -> None:
    with pytest.raises(NotAuthorized):
        ms.check_stakeholders(["ceo", "cfo"], "mallory")


def test_twenty_stakeholders_is_the_maximum() -> None:
    people = [f"u{i}" for i in range(20)]
    assert len(ms.check_stakeholders(people, "u7")) == 20


def test_stakeholder_bounds_are_configurable() -> None:
    assert ms.check_stakeholders(["a", "b", "c"], "a", minimum=3, maximum=3) == ("a", "b", "c")
    with pytest.raises(RuleViolation):
        ms.check_stakeholders(["a", "b"], "a", minimum=3, maximum=5)


def test_government_needs_admin() -> None:
    assert ms.parse_org_type("GOVERNMENT", is_admin=True) is ms.OrgType.GOVERNMENT
    assert ms.parse_org_type("NGO", is_admin=False) is ms.OrgType.NGO
    with pytest.raises(NotAuthorized):
        ms.parse_org_type("GOVERNMENT", is_admin=False)
    with pytest.raises(RuleViolation):
        ms.parse_org_type("CHARITY", is_admin=True)


# --- endorsement and activation -----------------------------------------------------------------

def test_endorse_once_per_stakeholder_while_pending() -> None:
    endorsements = {"ceo": True, "cfo": False}
    ms.check_endorsement("PendingEndorsement", endorsements, "cfo")
    with pytest.raises(AlreadyExists):
        ms.check_endorsement("PendingEndorsement", endorsements, "ceo")
    with pytest.raises(NotAuthorized):
        ms.check_endorsement("PendingEndorsement", endorsements, "mallory")
    with pytest.raises(InvalidState):
        ms.check_endorsement("Verified", endorsements, "cfo")


def test_activation_needs_every_endorsement() -> None:
    ms.check_activation("PendingEndorsement", {"ceo": True, "cfo": True})
    with pytest.raises(InvalidState) as exc:
        ms.check_activation("PendingEndorsement", {"ceo": True, "cfo": False})
    assert exc.value.fields["missing"] == ["cfo"]
    with pytest.raises(InvalidState):
        ms.check_activation("Verified", {"ceo": True, "cfo": True})


# --- auth rules ---------------------------------------------------------------------------------

def test_parse_rule_round_trips() -> None:
    raw = {"amountThreshold": 1_000, "requiredApprovers": 2, "approverGroup": ["ceo", "cfo"]}
    rule = ms.parse_rule(raw, PEOPLE)
    assert rule == ms.AuthRule(1_000, 2, ("ceo", "cfo"))
    assert ms.AuthRule.from_json(rule.to_json()) == rule


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([], "INVALID_RULE"),
        ({"amountThreshold": -1, "requiredApprovers": 1, "approverGroup": ["ceo"]},
         "INVALID_RULE_THRESHOLD"),
        ({"amountThreshold": "5", "requiredApprovers": 1, "approverGroup": ["ceo"]},
         "INVALID_RULE_THRESHOLD"),
        ({"amountThreshold": True, "requiredApprovers": 1, "approverGroup": ["ceo"]},
         "INVALID_RULE_THRESHOLD"),
        ({"amountThreshold": 0, "requiredApprovers": 1, "approverGroup": []},
         "INVALID_APPROVER_GROUP"),
        ({"amountThreshold": 0, "requiredApprovers": 1, "approverGroup": ["ceo", "ceo"]},
         "DUPLICATE_APPROVERS"),
        ({"amountThreshold": 0, "requiredApprovers": 0, "approverGroup": ["ceo"]},
         "INVALID_REQUIRED_APPROVERS"),
        ({"amountThreshold": 0, "requiredApprovers": 3, "approverGroup": ["ceo", "cfo"]},
         "INVALID_REQUIRED_APPROVERS"),
        ({"amountThreshold": 0, "requiredApprovers": 1, "approverGroup": ["ceo", "mallory"]},
         "APPROVER_NOT_STAKEHOLDER"),
    ],
)
def test_parse_rule_rejects(raw: object, expected: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        ms.parse_rule(raw, PEOPLE)
    assert reason(exc) == expected


def test_rule_selection_takes_highest_matching_threshold_not_first() -> None:
    # Defined out of order: the chain's "first match" would pick the weak 1-of rule for 200,000.
    weak = ms.AuthRule(1_000, 1, ("treasurer",))
    strong = ms.AuthRule(100_000, 3, tuple(PEOPLE))
    middle = ms.AuthRule(10_000, 2, ("ceo", "cfo", "coo"))
    rules = [weak, strong, middle]
    assert ms.select_rule(rules, 200_000) == strong
    assert ms.select_rule(rules, 50_000) == middle
    assert ms.select_rule(rules, 10_000) == weak  # strictly above the threshold
    assert ms.select_rule(rules, 1_000) is None
    with pytest.raises(RuleViolation) as exc:
        ms.require_rule(rules, 500)
    assert reason(exc) == "NO_MATCHING_RULE"


def test_equal_thresholds_prefer_more_approvals() -> None:
    a = ms.AuthRule(0, 1, ("ceo",))
    b = ms.AuthRule(0, 2, ("ceo", "cfo"))
    assert ms.select_rule([a, b], 5) == b
    assert ms.select_rule([b, a], 5) == b


rules_strategy = st.lists(
    st.builds(
        ms.AuthRule,
        amount_threshold=st.integers(0, 10**9),
        required_approvers=st.integers(1, 4),
        approver_group=st.just(tuple(PEOPLE)),
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, amount=st.integers(1, 2 * 10**9))
def test_selected_rule_is_the_strictest_band_reached(rules: list[ms.AuthRule], amount: int) -> None:
    chosen = ms.select_rule(rules, amount)
    matching = [r for r in rules if amount > r.amount_threshold]
    if not matching:
        assert chosen is None
        return
    assert chosen in matching
    assert chosen is not None
    assert chosen.amount_threshold == max(r.amount_threshold for r in matching)
    # Order of definition never changes the outcome.
    assert ms.select_rule(list(reversed(rules)), amount) == chosen


# --- transfers and approvals --------------------------------------------------------------------

def test_amount_must_be_positive_integer() -> None:
    ms.check_transfer_amount(1)
    for bad in (0, -5, True):
        with pytest.raises(InvalidAmount):
            ms.check_transfer_amount(bad)


def test_initiator_approval_counts_only_inside_the_group() -> None:
    rule = ms.AuthRule(0, 2, ("ceo", "cfo"))
    assert ms.initial_approvals(rule, "ceo") == ("ceo",)
    assert ms.initial_approvals(rule, "coo") == ()


def test_approval_checks() -> None:
    rule = ms.AuthRule(0, 2, ("ceo", "cfo", "coo"))

    def approve(approver: str, org: str = "Verified", tx: str = "Pending") -> None:
        ms.check_approval(org_status=org, tx_status=tx, rule=rule, approvals=["ceo"],
                          approver_id=approver)

    approve("cfo")
    with pytest.raises(AlreadyExists):
        approve("ceo")
    with pytest.raises(NotAuthorized):
        approve("treasurer")
    with pytest.raises(InvalidState):
        approve("cfo", tx="Executed")
    with pytest.raises(InvalidState):
        approve("cfo", org="Locked")


def test_threshold_counts_distinct_group_members() -> None:
    rule = ms.AuthRule(0, 2, ("ceo", "cfo", "coo"))
    assert not ms.threshold_reached(rule, ["ceo"])
    assert not ms.threshold_reached(rule, ["ceo", "ceo"])
    assert not ms.threshold_reached(rule, ["ceo", "outsider"])
    assert ms.threshold_reached(rule, ["ceo", "coo"])


def test_pending_tx_id_is_deterministic_per_chain_tx() -> None:
    a = ms.pending_tx_id("tx-1")
    assert a == ms.pending_tx_id("tx-1")
    assert a != ms.pending_tx_id("tx-2")
    assert a.startswith("PENDING_TX_") and len(a) == len("PENDING_TX_") + 36
