"""Governance through `make run` (issue 10, acceptance 3), as clients would use it.

An admin proposes a parameter change; three users vote (two for, one against); a second vote by
one of them is refused with 409; a non-boolean vote is a 422; a USER may not submit and the admin
may not execute while the window is open (409 VOTING_OPEN). The proposal's tallies and status
come from the chain's events; proposal ids are the chain's PROP_<uuid>.

Execution after the window: the window is the chain parameter votingPeriodSeconds when set
(else votingPeriodDays), so the admin shortens it through POST /api/v1/parameters, and a
majority ends Executed with the parameter read model following, a tie ends Failed.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import LiveSystem
from tests.e2e.test_organizations import confirmed, found, key
from tests.e2e.test_vertical_slice import Client, admin_client, eventually, onboard

pytestmark = pytest.mark.e2e


def test_proposal_votes_and_window(live_system: LiveSystem) -> None:
    admin = admin_client(live_system)
    eventually(lambda: admin.json("GET", "/api/v1/system/status")["bootstrapped"], what="bootstrap")
    voters = [onboard(live_system, admin, n)[0] for n in ("va", "vb", "vc")]

    refused = voters[0].call("POST", "/api/v1/proposals",
                             {"targetParam": "maxLoanDurationDays", "newValue": "300"})
    assert refused.status == 403
    unknown = admin.call("POST", "/api/v1/proposals",
                         {"targetParam": "noSuchParameter", "newValue": "1"}, headers=key())
    assert unknown.status == 422 and unknown.json()["code"] == "UNKNOWN_PARAMETER"

    value = str(100 + secrets.randbelow(3000))
    submitted = confirmed(admin, "/api/v1/proposals",
                          {"targetParam": "maxLoanDurationDays", "newValue": value})
    proposal_id = submitted["result"]["ids"]["proposalID"]
    assert proposal_id.startswith("PROP_")
    path = f"/api/v1/proposals/{proposal_id}"
    anon = Client(live_system)
    submitted_view = eventually(lambda: (f := found(anon, path)) and f["proposal"],
                                what="proposal projected")
    assert submitted_view["status"] == "Active" and submitted_view["newValue"] == value
    duplicate = admin.call("POST", "/api/v1/proposals",
                           {"targetParam": "maxLoanDurationDays", "newValue": value},
                           headers=key())
    assert duplicate.status == 409 and duplicate.json()["code"] == "DUPLICATE_PROPOSAL"
    listed = Client(live_system).json("GET", "/api/v1/proposals?status=Active")["proposals"]
    assert proposal_id in {p["proposalId"] for p in listed}
    assert Client(live_system).call("GET", "/api/v1/proposals?status=ACTIVE").status == 422

    not_bool = voters[0].call("POST", f"{path}/vote", {"vote": "true"}, headers=key())
    assert not_bool.status == 422
    for voter, support in zip(voters, (True, True, False), strict=True):
        confirmed(voter, f"{path}/vote", {"vote": support})
    again = voters[0].call("POST", f"{path}/vote", {"vote": False}, headers=key())
    assert again.status == 409 and again.json()["code"] == "ALREADY_VOTED"

    proposal = eventually(
        lambda: (p := Client(live_system).json("GET", path)["proposal"])["forVotes"] == 2
        and p["againstVotes"] == 1 and p, what="votes projected")
    assert proposal["status"] == "Active" and proposal["targetParam"] == "maxLoanDurationDays"
    early = admin.call("POST", f"{path}/execute", headers=key())
    assert early.status == 409 and early.json()["code"] == "VOTING_OPEN"


def _window(admin: Client, live_system: LiveSystem, seconds: int) -> None:
    confirmed(admin, "/api/v1/parameters",
              {"paramId": "votingPeriodSeconds", "newValue": str(seconds)})
    eventually(lambda: Client(live_system).json(
        "GET", "/api/v1/parameters/votingPeriodSeconds")["parameter"]["paramValue"] == str(seconds),
        what="the window parameter projected")


def _vote_then_execute(admin: Client, live_system: LiveSystem, voters: list[Client],
                       votes: tuple[bool, ...], value: str) -> dict:  # type: ignore[type-arg]
    submitted = confirmed(admin, "/api/v1/proposals",
                          {"targetParam": "maxLoanDurationDays", "newValue": value})
    path = f"/api/v1/proposals/{submitted['result']['ids']['proposalID']}"
    # CONFIRMED means the chain committed it; votes are checked against the read model, which
    # follows the chain's event a moment later: a client waits for `projected` before acting.
    eventually(lambda: admin.json("GET", submitted["statusUrl"])["projected"],
               what="proposal projected")
    assert found(Client(live_system), path) is not None
    for voter, support in zip(voters, votes, strict=False):
        confirmed(voter, f"{path}/vote", {"vote": support})
    proposal = eventually(lambda: (p := found(Client(live_system), path))
                          and p["proposal"]["forVotes"] + p["proposal"]["againstVotes"]
                          == len(votes) and p["proposal"], what="votes projected")
    ends = datetime.fromisoformat(proposal["endTime"])
    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.5)
    confirmed(admin, f"{path}/execute")
    return eventually(lambda: (p := Client(live_system).json("GET", path)["proposal"])["status"]
                      != "Active" and p, what="outcome projected")


def test_execution_after_the_window_changes_the_parameter_and_a_tie_fails(
    live_system: LiveSystem,
) -> None:
    admin = admin_client(live_system)
    eventually(lambda: admin.json("GET", "/api/v1/system/status")["bootstrapped"], what="bootstrap")
    voters = [onboard(live_system, admin, n)[0] for n in ("wa", "wb", "wc")]
    _window(admin, live_system, 8)
    try:
        value = str(100 + secrets.randbelow(3000))
        passed = _vote_then_execute(admin, live_system, voters, (True, True, False), value)
        assert passed["status"] == "Executed"
        eventually(lambda: Client(live_system).json(
            "GET", "/api/v1/parameters/maxLoanDurationDays")["parameter"]["paramValue"] == value,
            what="the parameter read model to follow")

        tie_value = str(int(value) + 1)
        tied = _vote_then_execute(admin, live_system, voters[:2], (True, False), tie_value)
        assert tied["status"] == "Failed"
        current = Client(live_system).json("GET", "/api/v1/parameters/maxLoanDurationDays")
        assert current["parameter"]["paramValue"] == value  # unchanged by the failed proposal
    finally:
        _window(admin, live_system, 0)
