"""GovernanceContract: proposals to change one system parameter, votes, execution (rules.md §5).

SubmitProposal (admin identity) -> Active until EndTime = tx time + the voting period
(votingPeriodSeconds when set, else votingPeriodDays);
VoteOnProposal records one vote per voter id (receipt vote/<proposalID>/<voterID>), the voter
passed explicitly (gaps.md C18) and the vote a strict "true"/"false" (gaps.md B18);
ExecuteProposal (admin, after EndTime) applies the outcome: passed -> AdminContract's
UpdateSystemParameter inside the same transaction -> Executed, or FailedExecution (persisted, with
the error, no partial write) if that update refuses the value; not passed (a tie included) ->
Failed. Quorum and approval share come from minProposalQuorum / proposalApprovalPct, defaulting to
the reference rule (no quorum, simple majority; gaps.md D14).

Events: ProposalSubmitted, VoteCast (with the running totals), ProposalExecuted (carries the
parameter change, since UpdateSystemParameter's own event is replaced: one event per transaction)
and ProposalFailed (status Failed or FailedExecution; gaps.md C12, E7).

Keys: proposal/<proposalID>, proposal_active/<proposalID> (index of Active proposals),
vote/<proposalID>/<voterID>.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.chain.embedded import ledger_ops as ops
from shared.chain.embedded.contracts.identity import require_user
from shared.chain.embedded.framework import ADMINS, ANYONE, Stub, arg_text, chaincode, reject
from shared.domain import governance as gov
from shared.domain import parameters
from shared.domain.errors import ACCOUNT_LOCKED, ALREADY_EXISTS, NOT_FOUND, RuleViolation

CONTRACT = "GovernanceContract"
MAX_ID = 128


def proposal_key(stub: Stub, proposal_id: str) -> str:
    return stub.key("proposal", proposal_id)


def active_index_key(stub: Stub, proposal_id: str) -> str:
    return stub.key("proposal_active", proposal_id)


def vote_key(stub: Stub, proposal_id: str, voter_id: str) -> str:
    return stub.key("vote", proposal_id, voter_id)


def require_proposal(stub: Stub, proposal_id: str) -> dict[str, Any]:
    proposal = stub.get_json(proposal_key(stub, proposal_id))
    if not proposal:
        reject(NOT_FOUND, f"proposal {proposal_id} does not exist")
    return dict(proposal)


def active_proposals(stub: Stub) -> list[dict[str, Any]]:
    found = []
    for _, ref in stub.get_by_prefix(stub.key_prefix("proposal_active")):
        proposal = stub.get_json(proposal_key(stub, ref["proposalID"]))
        if proposal and proposal["status"] == gov.ProposalStatus.ACTIVE.value:
            found.append(proposal)
    return found


def _governable() -> frozenset[str]:
    return frozenset(name for name, p in parameters.CATALOGUE.items() if p.governable)


def _ends_at(proposal: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(proposal["endTime"])


@chaincode(CONTRACT, "SubmitProposal", roles=ADMINS)
def submit_proposal(
    stub: Stub, target_param: str, new_value: str, proposer_id: str
) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    target = arg_text(target_param, "targetParam", max_len=100).strip()
    proposer = arg_text(proposer_id, "proposerID", max_len=MAX_ID).strip()
    known = _governable()
    # A known parameter's value must be one it can take, in canonical form so "020" and "20"
    # count as the same proposal; an unknown name is refused by check_submission.
    value = parameters.validate(target, new_value) if target in known else new_value
    gov.check_submission(
        target_param=target, new_value=value, known_params=known,
        active=[(p["targetParam"], p["newValue"]) for p in active_proposals(stub)],
    )
    proposal_id = gov.proposal_id(stub.tx_id)
    if stub.get_json(proposal_key(stub, proposal_id)):
        reject(ALREADY_EXISTS, f"proposal {proposal_id} already exists")
    ends = gov.end_time(stub.tx_timestamp, gov.voting_period(ops.params(stub)))
    proposal = {
        "proposalID": proposal_id, "targetParam": target, "newValue": value,
        "proposerID": proposer, "status": gov.ProposalStatus.ACTIVE.value, "forVotes": 0,
        "againstVotes": 0, "createdAt": stub.tx_timestamp.isoformat(),
        "endTime": ends.isoformat(), "executedAt": None, "error": None,
    }
    stub.put_json(proposal_key(stub, proposal_id), proposal)
    stub.put_json(active_index_key(stub, proposal_id), {"proposalID": proposal_id})
    stub.set_event("ProposalSubmitted", {
        "proposalID": proposal_id, "targetParam": target, "newValue": value,
        "proposerID": proposer, "status": proposal["status"], "endTime": proposal["endTime"],
    })
    return {"proposalID": proposal_id, "status": proposal["status"], "endTime": proposal["endTime"]}


@chaincode(CONTRACT, "VoteOnProposal", roles=ANYONE)
def vote_on_proposal(stub: Stub, proposal_id: str, voter_id: str, vote: str) -> dict[str, Any]:
    proposal = require_proposal(stub, arg_text(proposal_id, "proposalID", max_len=MAX_ID))
    voter = arg_text(voter_id, "voterID", max_len=MAX_ID).strip()
    support = gov.parse_vote(vote)
    user = require_user(stub, voter)
    if user["status"] != ops.ACTIVE:
        reject(ACCOUNT_LOCKED, f"user {voter} is {user['status']}")
    receipt = vote_key(stub, proposal["proposalID"], voter)
    gov.check_vote(status=proposal["status"], now=stub.tx_timestamp, ends_at=_ends_at(proposal),
                   already_voted=bool(stub.get_json(receipt)))
    proposal["forVotes" if support else "againstVotes"] += 1
    stub.put_json(receipt, {"voterID": voter, "support": support,
                            "votedAt": stub.tx_timestamp.isoformat()})
    stub.put_json(proposal_key(stub, proposal["proposalID"]), proposal)
    payload = {"proposalID": proposal["proposalID"], "voterID": voter, "support": support,
               "forVotes": proposal["forVotes"], "againstVotes": proposal["againstVotes"]}
    stub.set_event("VoteCast", payload)
    return payload


@chaincode(CONTRACT, "ExecuteProposal", roles=ADMINS)
def execute_proposal(stub: Stub, proposal_id: str) -> dict[str, Any]:
    proposal = require_proposal(stub, arg_text(proposal_id, "proposalID", max_len=MAX_ID))
    gov.check_execution(status=proposal["status"], now=stub.tx_timestamp,
                        ends_at=_ends_at(proposal))
    passed = gov.passes(proposal["forVotes"], proposal["againstVotes"],
                        gov.VotingRules.from_params(ops.params(stub)))
    proposal["executedAt"] = stub.tx_timestamp.isoformat()
    stub.del_state(active_index_key(stub, proposal["proposalID"]))
    old_value = ops.params(stub).as_dict()[proposal["targetParam"]]
    summary = {"proposalID": proposal["proposalID"], "targetParam": proposal["targetParam"],
               "newValue": proposal["newValue"], "forVotes": proposal["forVotes"],
               "againstVotes": proposal["againstVotes"]}
    if not passed:
        proposal["status"] = gov.ProposalStatus.FAILED.value
        return _finish(stub, proposal, "ProposalFailed", summary | {"error": ""})
    try:
        with stub.savepoint():
            stub.invoke("AdminContract", "UpdateSystemParameter",
                        proposal["targetParam"], proposal["newValue"])
    except RuleViolation as exc:
        proposal["status"] = gov.ProposalStatus.FAILED_EXECUTION.value
        proposal["error"] = f"{exc.code}: {exc.message}"
        return _finish(stub, proposal, "ProposalFailed", summary | {"error": proposal["error"]})
    proposal["status"] = gov.ProposalStatus.EXECUTED.value
    return _finish(stub, proposal, "ProposalExecuted", summary | {
        "paramKey": proposal["targetParam"], "paramValue": proposal["newValue"],
        "oldValue": old_value,
    })


def _finish(
    stub: Stub, proposal: dict[str, Any], event: str, payload: dict[str, Any]
) -> dict[str, Any]:
    stub.put_json(proposal_key(stub, proposal["proposalID"]), proposal)
    stub.set_event(event, payload | {"status": proposal["status"]})
    return {"proposalID": proposal["proposalID"], "status": proposal["status"],
            "error": proposal["error"]}


@chaincode(CONTRACT, "GetProposalDetails", roles=ANYONE, query=True)
def get_proposal_details(stub: Stub, proposal_id: str) -> dict[str, Any]:
    return require_proposal(stub, arg_text(proposal_id, "proposalID", max_len=MAX_ID))


@chaincode(CONTRACT, "ListActiveProposals", roles=ANYONE, query=True)
def list_active_proposals(stub: Stub) -> list[dict[str, Any]]:
    """Active proposals, soonest-ending first."""
    return sorted(active_proposals(stub), key=lambda p: (p["endTime"], p["proposalID"]))


@chaincode(CONTRACT, "HasVoted", roles=ANYONE, query=True)
def has_voted(stub: Stub, proposal_id: str, voter_id: str) -> bool:
    require_proposal(stub, arg_text(proposal_id, "proposalID", max_len=MAX_ID))
    voter = arg_text(voter_id, "voterID", max_len=MAX_ID).strip()
    return bool(stub.get_json(vote_key(stub, proposal_id, voter)))
