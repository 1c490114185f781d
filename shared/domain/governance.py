"""On-chain governance: the pure rules for proposals, votes and outcomes (spec/rules.md §5).

Shared by the embedded GovernanceContract and the backend's pre-checks. Proposals change one
existing system parameter; one vote per voter id; the outcome is decided after EndTime.

Resolutions adopted here:
- votes are strict "true"/"false" strings, never truthiness (gaps.md B18);
- the acting voter is an explicit argument, so every user gets one vote (gaps.md C18);
- quorum (minimum votes) and approval percentage are parameters that default to the reference
  behaviour: no quorum, simple majority, and a tie fails (rules.md §5, gaps.md D14);
- statuses exactly Active, Executed, Failed, FailedExecution (gaps.md B13, E7).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from shared.domain.errors import AlreadyExists, InvalidState, RuleViolation
from shared.domain.parameters import Params

#: Reference voting period (rules.md §5: 14 days; LECTURE-15 votingPeriodDays "14").
DEFAULT_VOTING_PERIOD = timedelta(days=14)

_PROPOSAL_NAMESPACE = uuid.UUID("9c3f2d1a-7e5b-4a80-b6c4-1d2e3f4a5b6c")


class ProposalStatus(str, Enum):
    ACTIVE = "Active"
    EXECUTED = "Executed"
    FAILED = "Failed"
    FAILED_EXECUTION = "FailedExecution"


class GovernanceRejected(RuleViolation):
    """A governance rule failed; `reason` names which one."""


@dataclass(frozen=True, slots=True)
class VotingRules:
    """Outcome rules, read from the parameters `minProposalQuorum` (votes cast needed; 0 = no
    quorum) and `proposalApprovalPct` (the yes share must be strictly above it; 50 = simple
    majority). The defaults are the reference behaviour."""

    min_votes: int = 0
    approval_pct: int = 50

    def __post_init__(self) -> None:
        if self.min_votes < 0 or not 0 <= self.approval_pct <= 99:
            raise GovernanceRejected("min_votes ≥ 0 and 0 ≤ approval_pct ≤ 99",
                                     reason="INVALID_VOTING_RULES")

    @classmethod
    def from_params(cls, params: Params) -> VotingRules:
        return cls(min_votes=params.num("minProposalQuorum"),
                   approval_pct=params.num("proposalApprovalPct"))


REFERENCE_RULES = VotingRules()


def parse_vote(raw: str) -> bool:
    """Exactly "true" or "false"; "False", "0", "" and friends are rejected, not coerced."""
    if raw == "true":
        return True
    if raw == "false":
        return False
    raise GovernanceRejected('vote must be exactly "true" or "false"', reason="INVALID_VOTE")


def end_time(submitted_at: datetime, voting_period: timedelta) -> datetime:
    if voting_period < timedelta(0):
        raise GovernanceRejected("the voting period cannot be negative",
                                 reason="INVALID_VOTING_PERIOD")
    return submitted_at + voting_period


def check_submission(
    *, target_param: str, new_value: str, known_params: frozenset[str] | set[str],
    active: list[tuple[str, str]],
) -> None:
    """The parameter exists and no Active proposal already asks for the same (param, value)."""
    if target_param not in known_params:
        raise GovernanceRejected(f"unknown system parameter {target_param!r}",
                                 reason="UNKNOWN_PARAMETER", target_param=target_param)
    if not isinstance(new_value, str) or not new_value.strip():
        raise GovernanceRejected("newValue must be a non-empty string", reason="INVALID_VALUE")
    if (target_param, new_value) in active:
        raise AlreadyExists("an identical proposal is already Active", reason="DUPLICATE_PROPOSAL")


def check_vote(*, status: str, now: datetime, ends_at: datetime, already_voted: bool) -> None:
    """Only while Active and tx time ≤ EndTime; one vote per voter id."""
    if status != ProposalStatus.ACTIVE.value:
        raise InvalidState(f"the proposal is {status}, not Active",
                           reason="PROPOSAL_NOT_ACTIVE", status=status)
    if now > ends_at:
        raise InvalidState("the voting period has ended", reason="VOTING_CLOSED")
    if already_voted:
        raise AlreadyExists("this voter has already voted", reason="ALREADY_VOTED")


def check_execution(*, status: str, now: datetime, ends_at: datetime) -> None:
    """Only an Active proposal, only once tx time ≥ EndTime."""
    if status != ProposalStatus.ACTIVE.value:
        raise InvalidState(f"the proposal is {status}, not Active",
                           reason="PROPOSAL_NOT_ACTIVE", status=status)
    if now < ends_at:
        raise InvalidState("the voting period has not ended", reason="VOTING_OPEN")


def passes(for_votes: int, against_votes: int, rules: VotingRules = REFERENCE_RULES) -> bool:
    """For strictly beats against (a tie always fails, whatever the parameters), the quorum is
    met, and the yes share of the votes cast is strictly above `approval_pct`."""
    cast = for_votes + against_votes
    if for_votes <= against_votes or cast < rules.min_votes:
        return False
    return for_votes * 100 > rules.approval_pct * cast


def voting_period(params: Params) -> timedelta:
    """votingPeriodSeconds when set (> 0), else votingPeriodDays."""
    seconds = params.num("votingPeriodSeconds")
    return timedelta(seconds=seconds) if seconds else timedelta(days=params.num("votingPeriodDays"))


def proposal_id(chain_tx_id: str) -> str:
    """`PROP_<uuid>`, a pure function of the chain tx id (re-execution reproduces it)."""
    return f"PROP_{uuid.uuid5(_PROPOSAL_NAMESPACE, chain_tx_id)}"
