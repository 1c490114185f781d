"""GovernanceContract: submit, vote (one per voter id, strict), execute, queries."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pytest

from shared.chain.port import BusinessRejection, Committed, ServiceIdentity
from shared.domain import governance as gov
from shared.domain.accounts import coins
from tests.integration.chain.support import ADMIN, PARTNER, SUPER, Chain

C = "GovernanceContract"


def submit(
    chain: Chain, param: str = "transactionFeeBps", value: str = "20", tx_id: str | None = None
) -> Committed:
    return chain.call(C, "SubmitProposal", param, value, "admin-1", identity=ADMIN, tx_id=tx_id)


def vote(chain: Chain, proposal: str, voter: str, support: str) -> Committed:
    return chain.call(C, "VoteOnProposal", proposal, voter, support, identity=PARTNER)


def refused(
    chain: Chain, code: str, function: str, *args: object,
    identity: ServiceIdentity = PARTNER,
) -> None:
    with pytest.raises(BusinessRejection) as info:
        chain.call(C, function, *args, identity=identity)
    assert info.value.code == code, info.value.message


def params(chain: Chain) -> dict[str, str]:
    return chain.query("AdminContract", "GetSystemParameters")  # type: ignore[no-any-return]


def test_submit_vote_execute(booted: Chain) -> None:
    voters = [booted.create_user() for _ in range(3)]
    tx_id = secrets.token_hex(32)
    committed = submit(booted, tx_id=tx_id)
    proposal = committed.result["proposalID"]
    assert proposal == gov.proposal_id(tx_id)
    assert committed.event is not None and committed.event.name == "ProposalSubmitted"
    details = booted.query(C, "GetProposalDetails", proposal)
    assert details["status"] == "Active" and details["forVotes"] == details["againstVotes"] == 0
    assert datetime.fromisoformat(details["endTime"]) - datetime.fromisoformat(
        details["createdAt"]) == timedelta(days=14)
    assert [p["proposalID"] for p in booted.query(C, "ListActiveProposals")] == [proposal]

    # One service identity, three users: every user id gets its own vote (gaps.md C18).
    vote(booted, proposal, voters[0], "true")
    vote(booted, proposal, voters[1], "true")
    event = vote(booted, proposal, voters[2], "false").event
    assert event is not None and event.name == "VoteCast"
    assert (event.payload["forVotes"], event.payload["againstVotes"]) == (2, 1)
    assert event.payload["support"] is False
    refused(booted, "ALREADY_EXISTS", "VoteOnProposal", proposal, voters[0], "false")
    assert booted.query(C, "HasVoted", proposal, voters[0]) is True

    refused(booted, "INVALID_STATE", "ExecuteProposal", proposal, identity=ADMIN)  # still open
    booted.clock.advance(14.01)
    late = booted.create_user()
    refused(booted, "INVALID_STATE", "VoteOnProposal", proposal, late, "true")
    refused(booted, "NOT_AUTHORIZED", "ExecuteProposal", proposal, identity=PARTNER)
    committed = booted.call(C, "ExecuteProposal", proposal, identity=ADMIN)
    assert committed.result["status"] == "Executed"
    event = committed.event
    assert event is not None and event.name == "ProposalExecuted"
    assert (event.payload["paramKey"], event.payload["paramValue"], event.payload["oldValue"]) == (
        "transactionFeeBps", "20", "10")
    assert params(booted)["transactionFeeBps"] == "20"
    assert booted.query(C, "GetProposalDetails", proposal)["status"] == "Executed"
    assert booted.query(C, "ListActiveProposals") == []
    refused(booted, "INVALID_STATE", "ExecuteProposal", proposal, identity=ADMIN)


def test_votes_are_strict_and_voters_must_be_active_users(booted: Chain) -> None:
    voter = booted.create_user()
    proposal = submit(booted).result["proposalID"]
    for bad in ("True", "1", "yes", "", "false "):
        refused(booted, "INVALID_ARGUMENT", "VoteOnProposal", proposal, voter, bad)
    refused(booted, "NOT_FOUND", "VoteOnProposal", proposal, "ghost", "true")
    refused(booted, "NOT_FOUND", "VoteOnProposal", "PROP_nope", voter, "true")
    vote(booted, proposal, voter, "false")
    assert booted.query(C, "GetProposalDetails", proposal)["againstVotes"] == 1


def test_submission_rejections(booted: Chain) -> None:
    refused(booted, "NOT_AUTHORIZED", "SubmitProposal", "transactionFeeBps", "20", "u",
            identity=PARTNER)
    refused(booted, "INVALID_ARGUMENT", "SubmitProposal", "noSuchParam", "1", "u", identity=ADMIN)
    refused(booted, "INVALID_ARGUMENT", "SubmitProposal", "genesisMinAge", "10", "u",
            identity=ADMIN)  # not governable
    refused(booted, "INVALID_ARGUMENT", "SubmitProposal", "transactionFeeBps", "5000", "u",
            identity=ADMIN)  # above the 10 % fee cap (gaps.md A29)
    submit(booted, value="30")
    refused(booted, "ALREADY_EXISTS", "SubmitProposal", "transactionFeeBps", "030", "u",
            identity=ADMIN)
    submit(booted, value="40")  # another value is another proposal
    assert len(booted.query(C, "ListActiveProposals")) == 2


def test_a_tie_fails_and_changes_nothing(booted: Chain) -> None:
    a, b = booted.create_user(), booted.create_user()
    proposal = submit(booted).result["proposalID"]
    vote(booted, proposal, a, "true")
    vote(booted, proposal, b, "false")
    booted.clock.advance(15)
    committed = booted.call(C, "ExecuteProposal", proposal, identity=ADMIN)
    assert committed.result["status"] == "Failed"
    assert committed.event is not None and committed.event.name == "ProposalFailed"
    assert params(booted)["transactionFeeBps"] == "10"
    # Once decided, the same change may be proposed again.
    submit(booted)


def test_failed_execution_is_recorded_not_aborted(booted: Chain) -> None:
    voter = booted.create_user()
    # Valid on its own, but above loanMaxAmount: UpdateSystemParameter refuses it at execution.
    proposal = submit(booted, "loanMinAmount", str(coins(2_000_000))).result["proposalID"]
    vote(booted, proposal, voter, "true")
    booted.clock.advance(15)
    committed = booted.call(C, "ExecuteProposal", proposal, identity=ADMIN)
    assert committed.result["status"] == "FailedExecution"
    event = committed.event
    assert event is not None and event.name == "ProposalFailed"
    assert event.payload["status"] == "FailedExecution"
    assert "loanMinAmount" in event.payload["error"]
    details = booted.query(C, "GetProposalDetails", proposal)
    assert details["status"] == "FailedExecution" and details["error"]
    assert params(booted)["loanMinAmount"] == str(coins(100))


def test_quorum_and_voting_period_are_parameters(booted: Chain) -> None:
    booted.call("AdminContract", "UpdateSystemParameter", "minProposalQuorum", "3", identity=ADMIN)
    booted.call("AdminContract", "UpdateSystemParameter", "votingPeriodDays", "1", identity=ADMIN)
    a, b = booted.create_user(), booted.create_user()
    proposal = submit(booted).result["proposalID"]
    details = booted.query(C, "GetProposalDetails", proposal)
    assert datetime.fromisoformat(details["endTime"]) - datetime.fromisoformat(
        details["createdAt"]) == timedelta(days=1)
    vote(booted, proposal, a, "true")
    vote(booted, proposal, b, "true")
    booted.clock.advance(1.01)
    committed = booted.call(C, "ExecuteProposal", proposal, identity=ADMIN)
    assert committed.result["status"] == "Failed"  # 2 votes < quorum of 3


def test_paused_chain_refuses_votes(booted: Chain) -> None:
    voter = booted.create_user()
    proposal = submit(booted).result["proposalID"]
    booted.call("AdminContract", "PauseSystem", "maintenance", identity=SUPER)
    refused(booted, "SYSTEM_PAUSED", "VoteOnProposal", proposal, voter, "true")
