"""The read-model query functions (what the HTTP read endpoints call) after projecting a real
chain history, checked against the ledger's own query functions where it has one."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime

import pytest

from shared import db
from shared.chain.port import ChainEvent
from shared.events.cloudevent import from_chain
from shared.readmodels import accounts, governance, loans, organizations, system
from tests.integration.projector.harness import (
    all_events,
    build_history,
    cloud_event,
    deliver,
    new_ledger,
    private_database,
)


@pytest.fixture(scope="module")
def world():  # type: ignore[no-untyped-def]
    with private_database() as dsn:
        ledger = new_ledger(dsn)
        try:
            users = build_history(ledger, random.Random(11), users=5, operations=25)
            for event in all_events(ledger):
                assert deliver(cloud_event(event)) < 300
            yield ledger, users
        finally:
            ledger.drop()


def test_accounts_match_the_ledger_and_expose_strings(world) -> None:  # type: ignore[no-untyped-def]
    ledger, users = world
    for user in users:
        account = accounts.get_account(user)
        assert account is not None
        assert account["balance"] == ledger.evaluate("TokenomicsContract", "GetBalance", [user])
        assert account["ownerType"] == "USER"
    assert accounts.get_account("treasury_NG")["ownerType"] == "TREASURY"
    assert accounts.get_account("nobody") is None and accounts.balance_of("nobody") == 0


def test_history_pages_by_cursor_in_both_directions(world) -> None:  # type: ignore[no-untyped-def]
    pool = "SYSTEM_OPERATIONS_FUND"  # collects every fee: the longest history
    everything = accounts.history_page(pool, limit=100)["items"]
    assert len(everything) > 6
    keys = [(int(e["blockNumber"]), e["txIndex"], int(e["entryId"])) for e in everything]
    assert keys == sorted(keys, reverse=True)  # newest first
    assert all(isinstance(e["amount"], str) and isinstance(e["blockNumber"], str) for e in everything)
    pages, page = [], accounts.history_page(pool, limit=3)
    pages.append(page)
    while page["next"]:
        page = accounts.history_page(pool, limit=3, after=page["next"])
        pages.append(page)
    assert [e for p in pages for e in p["items"]] == everything
    assert pages[0]["prev"] is None and pages[-1]["next"] is None
    back = accounts.history_page(pool, limit=3, before=pages[2]["prev"])
    assert back["items"] == pages[1]["items"]
    with pytest.raises(ValueError):
        accounts.history_page(pool, after="not-a-cursor")


def test_a_transfer_has_sent_received_and_fee_lines(world) -> None:  # type: ignore[no-untyped-def]
    row = db.fetch_one("SELECT tx_id FROM rm_account_entries WHERE kind = 'FEE' LIMIT 1")
    lines = {r["kind"]: r for r in db.fetch_all(
        "SELECT kind, account_id, amount, fee FROM rm_account_entries WHERE tx_id = %s", (row["tx_id"],))}
    assert set(lines) == {"SENT", "RECEIVED", "FEE"}
    assert lines["FEE"]["amount"] == lines["SENT"]["fee"] + lines["RECEIVED"]["fee"]
    assert -lines["SENT"]["amount"] - lines["SENT"]["fee"] == (
        lines["RECEIVED"]["amount"] + lines["RECEIVED"]["fee"])
    # The money dashboard's counters saw every fee line projected here (in this process).
    from prometheus_client import REGISTRY

    fees = db.fetch_one("SELECT count(*) AS n, sum(amount) AS q FROM rm_account_entries"
                        " WHERE kind = 'FEE'")
    assert (REGISTRY.get_sample_value("gx_money_entries_total", {"kind": "FEE"}) or 0) >= fees["n"]
    assert (REGISTRY.get_sample_value("gx_money_qirat_total", {"kind": "FEE"}) or 0) >= fees["q"]


def test_organization_multisig_loan_and_proposals_match_the_ledger(world) -> None:  # type: ignore[no-untyped-def]
    ledger, users = world
    org_id = db.fetch_one("SELECT org_id FROM rm_organizations")["org_id"]
    org = organizations.get_organization(org_id)
    chain_org = ledger.evaluate("OrganizationContract", "GetOrganization", [org_id])
    assert org["status"] == chain_org["status"] == "Verified"
    assert org["stakeholders"] == chain_org["stakeholders"]
    assert all(org["endorsements"].values()) and len(org["rules"]) == 1
    assert org["balance"] == ledger.evaluate("TokenomicsContract", "GetBalance", [org_id])
    txs = organizations.list_multisig(org_id)
    assert sorted(t["status"] for t in txs) == ["Executed", "ExecutionFailed"]
    for tx in txs:
        chain_tx = ledger.evaluate("OrganizationContract", "GetPendingTx", [tx["pendingTxId"]])
        assert tx["status"] == chain_tx["status"]
        assert sorted(tx["approvals"]) == sorted(chain_tx["approvals"])
    assert organizations.list_multisig(org_id, status="Executed")[0]["executedAt"] is not None

    [loan] = loans.list_loans(borrower_id=users[0])
    chain_loan = ledger.evaluate("LoanPoolContract", "GetLoan", [loan["loanId"]])
    assert loan["status"] == chain_loan["status"] == "Paid"
    assert loan["amount"] == str(chain_loan["amount"])

    for proposal in governance.list_proposals():
        chain_p = ledger.evaluate("GovernanceContract", "GetProposalDetails", [proposal["proposalId"]])
        assert proposal["status"] == chain_p["status"]
        assert (proposal["forVotes"], proposal["againstVotes"]) == (
            chain_p["forVotes"], chain_p["againstVotes"])
    assert {p["status"] for p in governance.list_proposals()} == {"Executed", "Failed"}
    assert governance.list_proposals(status="Active") == []


def test_system_treasury_genesis_and_parameters(world) -> None:  # type: ignore[no-untyped-def]
    ledger, users = world
    assert system.get_system_status()["status"] == "ACTIVE"
    assert system.get_system_status()["bootstrappedAt"] is not None
    ng = system.get_treasury("NG")
    assert ng["status"] == "Active" and int(ng["balance"]) > 0
    assert system.get_treasury("ZZ") is None
    stats = system.genesis_statistics()
    assert stats["usersProcessed"] == len(users)
    assert int(stats["distributedToUsers"]) == sum(
        int(r["amount"]) for r in db.fetch_all("SELECT amount FROM rm_genesis_distributions"))
    country = system.get_country_stats("NG")
    assert country["initialized"] and country["treasury"]["treasuryId"] == "treasury_NG"
    chain_params = ledger.evaluate("AdminContract", "GetSystemParameters", [])
    for key, value in system.get_chain_parameters().items():
        if key in chain_params:
            assert str(chain_params[key]) == value
    mirrored = db.fetch_one("SELECT param_value, source FROM system_parameters"
                            " WHERE param_key = 'votingPeriodDays'")
    assert mirrored["source"] == "chain"
    assert mirrored["param_value"] == system.get_chain_parameters()["votingPeriodDays"]
    user = system.get_chain_user(users[0])
    assert user["trustScore"] == 80 and user["status"] == "Active"
    assert len(system.list_relationships(users[0])) == 3


def test_a_profile_reads_its_balance_through_its_fabric_user_id(world) -> None:  # type: ignore[no-untyped-def]
    ledger, users = world
    fabric_id = users[1]
    profile = db.fetch_one(
        "INSERT INTO user_profiles (first_name, last_name, fabric_user_id, status)"
        " VALUES ('Ada', 'Obi', %s, 'APPROVED_PENDING_ONCHAIN') RETURNING profile_id",
        (fabric_id,))
    account = accounts.get_account_for_profile(str(profile["profile_id"]))
    assert account["balance"] == ledger.evaluate("TokenomicsContract", "GetBalance", [fabric_id])
    assert accounts.get_account_for_profile("00000000-0000-0000-0000-000000000000") is None


def test_user_created_activates_the_linked_profile() -> None:
    fabric_id = f"user_{secrets.token_hex(4)}"
    profile = db.fetch_one(
        "INSERT INTO user_profiles (first_name, last_name, fabric_user_id, status)"
        " VALUES ('Ada', 'Obi', %s, 'APPROVED_PENDING_ONCHAIN') RETURNING profile_id",
        (fabric_id,))
    created = ChainEvent(5, 0, secrets.token_hex(16), "UserCreated", {
        "userID": fabric_id, "biometricHash": "a" * 64, "nationality": "NG", "age": 30,
        "status": "Active", "trustScore": 10, "createdAt": "2026-01-01T00:00:00+00:00",
    }, datetime(2026, 1, 1, tzinfo=UTC))
    assert deliver(from_chain(created, channel="c", chaincode="cc")) == 200
    row = db.fetch_one("SELECT status, onchain_status, onchain_registered_at FROM user_profiles"
                       " WHERE profile_id = %s", (profile["profile_id"],))
    assert row["status"] == "ACTIVE" and row["onchain_status"] == "ACTIVE"
    assert row["onchain_registered_at"] == datetime(2026, 1, 1, tzinfo=UTC)
