"""Governance functions against real PostgreSQL/Redis: submission (admins, a known parameter and
a value it may take, no identical Active proposal), votes (strict booleans, ACTIVE users, once,
inside the window), execution (admins, after the window), and the queries with a status filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.functions.organization import world
from tests.functions.organization.world import accepted, problem

FUTURE = datetime.now(UTC) + timedelta(days=14)
PAST = datetime.now(UTC) - timedelta(seconds=1)


def submit(caller: world.User, body: dict) -> object:  # type: ignore[type-arg]
    return caller.call("submit_proposal", "POST", "/api/v1/proposals", json=body)


def test_admin_submits_a_known_parameter_in_canonical_form() -> None:
    admin = world.user(role="ADMIN")
    body = accepted(submit(admin, {"targetParam": "maxLoanDurationDays", "newValue": "0400"}))
    (cmd,) = world.commands(admin, "SUBMIT_PROPOSAL")
    assert cmd["payload"] == {"targetParam": "maxLoanDurationDays", "newValue": "400",
                              "proposerId": admin.chain_id}
    assert body["type"] == "SUBMIT_PROPOSAL"


def test_submission_refusals() -> None:
    admin = world.user(role="ADMIN")
    problem(submit(admin, {"targetParam": "noSuchThing", "newValue": "1"}), 422,
            "UNKNOWN_PARAMETER")
    problem(submit(admin, {"targetParam": "genesisMinAge", "newValue": "20"}), 422,
            "UNKNOWN_PARAMETER")  # catalogued, but not governable
    problem(submit(admin, {"targetParam": "maxLoanDurationDays", "newValue": "0"}), 422,
            "INVALID_ARGUMENT")
    problem(submit(admin, {"targetParam": "maxLoanDurationDays", "newValue": "x"}), 422)
    problem(submit(admin, {"targetParam": "maxLoanDurationDays", "newValue": "400",
                           "proposerId": "someone-else"}), 403, "NOT_PROPOSER")
    world.proposal(target="maxConcurrentLoans", value="7", end_time=FUTURE)
    problem(submit(admin, {"targetParam": "maxConcurrentLoans", "newValue": "7"}), 409,
            "DUPLICATE_PROPOSAL")
    problem(submit(world.user(), {"targetParam": "maxConcurrentLoans", "newValue": "8"}), 403)
    assert world.commands(admin, "SUBMIT_PROPOSAL") == []


def test_one_strict_boolean_vote_per_active_user_while_open() -> None:
    proposal = world.proposal(end_time=FUTURE)
    path = f"/api/v1/proposals/{proposal}/vote"
    voter = world.user()
    for bad in ("true", 1, None, "yes"):
        problem(voter.call("vote_on_proposal", "POST", path, json={"vote": bad}), 422)
    body = accepted(voter.call("vote_on_proposal", "POST", path, json={"vote": False}))
    assert body["proposalId"] == proposal
    (cmd,) = world.commands(voter, "VOTE_ON_PROPOSAL")
    assert cmd["payload"] == {"proposalId": proposal, "voterId": voter.chain_id, "vote": False}
    problem(voter.call("vote_on_proposal", "POST", path, json={"vote": True}), 409,
            "ALREADY_VOTED")
    projected = world.user()
    world.voted(proposal, projected, True)
    problem(projected.call("vote_on_proposal", "POST", path, json={"vote": True}), 409,
            "ALREADY_VOTED")
    frozen = world.user(status="FROZEN")
    problem(frozen.call("vote_on_proposal", "POST", path, json={"vote": True}), 409,
            "USER_NOT_ACTIVE")
    closed = world.proposal(end_time=PAST)
    problem(voter.call("vote_on_proposal", "POST", f"/api/v1/proposals/{closed}/vote",
                       json={"vote": True}), 409, "VOTING_CLOSED")
    done = world.proposal(end_time=PAST, status="Executed")
    problem(voter.call("vote_on_proposal", "POST", f"/api/v1/proposals/{done}/vote",
                       json={"vote": True}), 409, "PROPOSAL_NOT_ACTIVE")
    problem(voter.call("vote_on_proposal", "POST", "/api/v1/proposals/PROP_x/vote",
                       json={"vote": True}), 404, "PROPOSAL_NOT_FOUND")


def test_execution_only_after_the_window_and_once() -> None:
    admin = world.user(role="ADMIN", on_chain=False)
    open_ = world.proposal(end_time=FUTURE)
    problem(admin.call("execute_proposal", "POST", f"/api/v1/proposals/{open_}/execute"), 409,
            "VOTING_OPEN")
    ended = world.proposal(end_time=PAST)
    path = f"/api/v1/proposals/{ended}/execute"
    accepted(admin.call("execute_proposal", "POST", path))
    (cmd,) = world.commands(admin, "EXECUTE_PROPOSAL")
    assert cmd["payload"] == {"proposalId": ended}
    problem(admin.call("execute_proposal", "POST", path), 409, "EXECUTION_PENDING")
    failed = world.proposal(end_time=PAST, status="Failed")
    problem(admin.call("execute_proposal", "POST", f"/api/v1/proposals/{failed}/execute"), 409,
            "PROPOSAL_NOT_ACTIVE")


def test_queries_filter_by_the_chain_status() -> None:
    active = world.proposal(end_time=FUTURE)
    executed = world.proposal(end_time=PAST, status="Executed")
    a, b, c = world.user(), world.user(), world.user()
    world.voted(active, a, True)
    world.voted(active, b, True)
    world.voted(active, c, False)
    anon = world.User("anonymous", None, "USER")
    anon.headers = {}
    got = anon.call("get_proposal", "GET", f"/api/v1/proposals/{active}").get_json()["proposal"]
    assert (got["status"], got["forVotes"], got["againstVotes"]) == ("Active", 2, 1)
    listed = anon.call("list_proposals", "GET", "/api/v1/proposals?status=Executed").get_json()
    ids = {p["proposalId"] for p in listed["proposals"]}
    assert executed in ids and active not in ids
    assert {p["status"] for p in listed["proposals"]} == {"Executed"}
    problem(anon.call("list_proposals", "GET", "/api/v1/proposals?status=Passed"), 422)
    problem(anon.call("get_proposal", "GET", "/api/v1/proposals/PROP_none"), 404)
