"""Governance end to end through the real write and read paths, with the voting window crossed
by steering the clock (issue 10, acceptance 3: execution after the window, the parameter read
model following, a tie failing).

`make run` cannot cross a window of at least one day inside a test (votingPeriodDays >= 1), so
this runs the same pieces in-process on a private database: the HTTP functions accept the
commands, the real outbox Submitter puts them on a real embedded ledger whose block clock the test
moves forward (and the service's window checks follow that same clock), and every chain event is
delivered to its projector function as the broker would.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest

from shared import db
from shared.chain.embedded.ledger import EmbeddedLedger
from shared.outbox.submit import Submitter
from shared.seed import catalogue_parameters, load_countries, seed
from tests.functions.organization.world import User, accepted, problem
from tests.integration.chain.support import Chain, Clock
from tests.integration.projector.harness import cloud_event, deliver, private_database

PARAM = "maxLoanDurationDays"


class Pipeline:
    def __init__(self, ledger: EmbeddedLedger, clock: Clock) -> None:
        self.ledger = ledger
        self.clock = clock
        self.chain = Chain(ledger, clock)
        self.position: tuple[int, int] | None = None
        self.submitter = Submitter(ledger, owner=f"gov-test-{secrets.token_hex(3)}")

    def project(self) -> None:
        """Deliver every chain event not delivered yet to its projector function."""
        while True:
            chunk = list(self.ledger.events(after=self.position, limit=500))
            if not chunk:
                return
            for event in chunk:
                assert deliver(cloud_event(event)) == 200, event.name
            self.position = chunk[-1].position

    def settle(self) -> None:
        """Submit everything the outbox holds, then project what the chain emitted."""
        self.submitter.drain(budget_s=10, wait_for_due=False)
        self.project()

    def user(self, role: str = "USER") -> User:
        chain_id = self.chain.create_user()
        profile_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO user_profiles (profile_id, email, first_name, last_name,"
            " nationality_country_code, role, status, fabric_user_id, onchain_status)"
            " VALUES (%s, %s, 'Gov', 'Voter', 'NG', %s, 'APPROVED_PENDING_ONCHAIN', %s, 'PENDING')",
            (profile_id, f"{profile_id[:12]}@example.org", role, chain_id))
        self.project()  # UserCreated: the profile becomes ACTIVE
        return User(profile_id, chain_id, role)

    def status(self, command: dict[str, Any]) -> dict[str, Any]:
        row = db.fetch_one("SELECT status, result, error_code FROM outbox_commands WHERE id = %s",
                           (command["commandId"],))
        assert row is not None
        return row


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    from shared.governance import service

    with private_database() as url:
        with psycopg.connect(url) as conn:
            seed(conn, countries=load_countries(), parameters=catalogue_parameters(),
                 tenant_id="default")
        clock = Clock()
        ledger = EmbeddedLedger(url, f"ledger_gov_{secrets.token_hex(3)}", clock=clock)
        # The backend's window checks read the same clock as the chain's blocks.
        monkeypatch.setattr(service, "_now", lambda: clock())
        try:
            p = Pipeline(ledger, clock)
            p.chain.bootstrap()
            p.project()
            yield p
        finally:
            ledger.drop()


def _proposal(p: Pipeline, admin: User, value: str) -> str:
    sent = accepted(admin.call("submit_proposal", "POST", "/api/v1/proposals",
                               json={"targetParam": PARAM, "newValue": value}))
    p.settle()
    done = p.status(sent)
    assert done["status"] == "CONFIRMED", done
    return str(done["result"]["proposalID"])


def _vote(p: Pipeline, voter: User, proposal_id: str, support: bool) -> None:
    sent = accepted(voter.call("vote_on_proposal", "POST", f"/api/v1/proposals/{proposal_id}/vote",
                               json={"vote": support}))
    p.settle()
    assert p.status(sent)["status"] == "CONFIRMED"


def _execute(p: Pipeline, admin: User, proposal_id: str) -> dict[str, Any]:
    sent = accepted(admin.call("execute_proposal", "POST",
                               f"/api/v1/proposals/{proposal_id}/execute"))
    p.settle()
    assert p.status(sent)["status"] == "CONFIRMED"
    got = admin.call("get_proposal", "GET", f"/api/v1/proposals/{proposal_id}")
    return dict(got.get_json()["proposal"])


def _parameter(admin: User) -> str:
    got = admin.call("get_parameter", "GET", f"/api/v1/parameters/{PARAM}").get_json()
    return str(got["parameter"]["paramValue"])


def test_majority_executes_after_the_window_and_a_tie_fails(pipeline: Pipeline) -> None:
    p = pipeline
    admin = User(str(uuid.uuid4()), None, "ADMIN")
    db.execute("INSERT INTO user_profiles (profile_id, email, first_name, last_name, role, status)"
               " VALUES (%s, %s, 'Ops', 'Admin', 'ADMIN', 'ACTIVE')",
               (admin.profile_id, f"{admin.profile_id[:12]}@example.org"))
    voters = [p.user() for _ in range(4)]
    before = _parameter(admin)

    passing = _proposal(p, admin, "400")
    tie = _proposal(p, admin, "500")
    for voter, support in zip(voters[:3], (True, True, False), strict=True):
        _vote(p, voter, passing, support)
    again = voters[0].call("vote_on_proposal", "POST", f"/api/v1/proposals/{passing}/vote",
                           json={"vote": False})
    problem(again, 409, "ALREADY_VOTED")
    _vote(p, voters[0], tie, True)
    _vote(p, voters[1], tie, False)

    problem(admin.call("execute_proposal", "POST", f"/api/v1/proposals/{passing}/execute"), 409,
            "VOTING_OPEN")
    p.clock.advance(days=14.01)
    late = voters[3].call("vote_on_proposal", "POST", f"/api/v1/proposals/{passing}/vote",
                          json={"vote": True})
    problem(late, 409, "VOTING_CLOSED")

    executed = _execute(p, admin, passing)
    assert (executed["status"], executed["forVotes"], executed["againstVotes"]) == ("Executed", 2, 1)
    assert datetime.fromisoformat(executed["executedAt"]) >= datetime.fromisoformat(
        executed["endTime"])
    assert before != "400" and _parameter(admin) == "400"

    failed = _execute(p, admin, tie)
    assert (failed["status"], failed["forVotes"], failed["againstVotes"]) == ("Failed", 1, 1)
    assert _parameter(admin) == "400"
    listed = admin.call("list_proposals", "GET", "/api/v1/proposals?status=Failed").get_json()
    assert [x["proposalId"] for x in listed["proposals"]] == [tie]
