"""Governance rules: strict votes, submission checks, voting window, outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import governance as gov
from shared.domain.errors import AlreadyExists, InvalidState, RuleViolation
from shared.domain.parameters import Params

T0 = datetime(2026, 1, 1, tzinfo=UTC)
END = T0 + timedelta(days=14)


def test_votes_are_strict_strings() -> None:
    assert gov.parse_vote("true") is True
    assert gov.parse_vote("false") is False
    for bad in ("True", "FALSE", "1", "0", "", "yes", " true"):
        with pytest.raises(RuleViolation):
            gov.parse_vote(bad)


def test_end_time_adds_the_voting_period() -> None:
    assert gov.end_time(T0, gov.DEFAULT_VOTING_PERIOD) == END
    assert gov.end_time(T0, timedelta(0)) == T0
    with pytest.raises(RuleViolation):
        gov.end_time(T0, timedelta(seconds=-1))


def test_submission_checks() -> None:
    known = {"transactionFeeBps", "votingPeriodDays"}
    gov.check_submission(target_param="transactionFeeBps", new_value="20", known_params=known,
                         active=[("transactionFeeBps", "30")])
    with pytest.raises(RuleViolation) as exc:
        gov.check_submission(target_param="nope", new_value="1", known_params=known, active=[])
    assert exc.value.fields["reason"] == "UNKNOWN_PARAMETER"
    with pytest.raises(AlreadyExists):
        gov.check_submission(target_param="transactionFeeBps", new_value="30",
                             known_params=known, active=[("transactionFeeBps", "30")])
    with pytest.raises(RuleViolation):
        gov.check_submission(target_param="transactionFeeBps", new_value="  ",
                             known_params=known, active=[])


def test_vote_window_and_receipt() -> None:
    gov.check_vote(status="Active", now=END, ends_at=END, already_voted=False)  # inclusive
    with pytest.raises(InvalidState):
        gov.check_vote(status="Active", now=END + timedelta(microseconds=1), ends_at=END,
                       already_voted=False)
    with pytest.raises(AlreadyExists):
        gov.check_vote(status="Active", now=T0, ends_at=END, already_voted=True)
    for status in ("Executed", "Failed", "FailedExecution"):
        with pytest.raises(InvalidState):
            gov.check_vote(status=status, now=T0, ends_at=END, already_voted=False)


def test_execution_only_after_end() -> None:
    gov.check_execution(status="Active", now=END, ends_at=END)
    with pytest.raises(InvalidState):
        gov.check_execution(status="Active", now=END - timedelta(seconds=1), ends_at=END)
    with pytest.raises(InvalidState):
        gov.check_execution(status="Executed", now=END, ends_at=END)


def test_reference_outcome_simple_majority_tie_fails() -> None:
    assert gov.passes(1, 0)
    assert gov.passes(3, 2)
    assert not gov.passes(2, 2)
    assert not gov.passes(0, 0)
    assert not gov.passes(1, 5)


def test_quorum_and_approval_parameters() -> None:
    rules = gov.VotingRules(min_votes=100, approval_pct=60)
    assert not gov.passes(60, 39, rules)  # 99 votes: no quorum
    assert gov.passes(61, 39, rules)
    assert not gov.passes(60, 40, rules)  # exactly 60 %: must be strictly above
    with pytest.raises(RuleViolation):
        gov.VotingRules(approval_pct=100)
    with pytest.raises(RuleViolation):
        gov.VotingRules(min_votes=-1)


def test_rules_and_period_come_from_the_parameter_catalogue() -> None:
    assert gov.VotingRules.from_params(Params()) == gov.REFERENCE_RULES
    custom = Params({"minProposalQuorum": "100", "proposalApprovalPct": "60",
                     "votingPeriodDays": "3"})
    assert gov.VotingRules.from_params(custom) == gov.VotingRules(100, 60)
    assert gov.voting_period(Params()) == gov.DEFAULT_VOTING_PERIOD
    assert gov.voting_period(custom) == timedelta(days=3)


@settings(max_examples=300, deadline=None)
@given(for_votes=st.integers(0, 10_000), against=st.integers(0, 10_000),
       min_votes=st.integers(0, 500), pct=st.integers(0, 99))
def test_outcome_properties(for_votes: int, against: int, min_votes: int, pct: int) -> None:
    rules = gov.VotingRules(min_votes=min_votes, approval_pct=pct)
    result = gov.passes(for_votes, against, rules)
    # The reference rule is exactly "for strictly beats against".
    assert gov.passes(for_votes, against) == (for_votes > against)
    # Whatever the parameters, a passing proposal beats its opposition and meets the quorum...
    if result:
        assert for_votes > against and for_votes + against >= min_votes
        assert for_votes * 100 > pct * (for_votes + against)
        # ...and one more yes vote never turns a pass into a fail (monotone).
        assert gov.passes(for_votes + 1, against, rules)
    # Swapping sides can never make both pass.
    assert not (result and gov.passes(against, for_votes, rules))


def test_proposal_id_deterministic() -> None:
    assert gov.proposal_id("t") == gov.proposal_id("t") != gov.proposal_id("u")
    assert gov.proposal_id("t").startswith("PROP_")


def test_voting_period_in_seconds_overrides_days() -> None:
    from datetime import timedelta

    from shared.domain.governance import voting_period
    from shared.domain.parameters import Params

    assert voting_period(Params()) == timedelta(days=14)
    assert voting_period(Params({"votingPeriodSeconds": "30"})) == timedelta(seconds=30)
    assert voting_period(Params({"votingPeriodDays": "3"})) == timedelta(days=3)
