"""OrganizationContract: proposal, endorsement, activation, auth rules and multisig transfers."""

from __future__ import annotations

import json
import secrets

import pytest

from shared.chain.port import BusinessRejection, Committed, ServiceIdentity
from shared.domain import fees
from shared.domain import multisig as ms
from shared.domain.accounts import FEE_COLLECTOR, coins
from shared.domain.parameters import Params
from tests.integration.chain.support import ADMIN, PARTNER, SUPER, Chain

C = "OrganizationContract"


def call(
    chain: Chain, function: str, *args: object, identity: ServiceIdentity = PARTNER
) -> Committed:
    return chain.call(C, function, *args, identity=identity)


def refused(
    chain: Chain, code: str, function: str, *args: object,
    identity: ServiceIdentity = PARTNER,
) -> None:
    with pytest.raises(BusinessRejection) as info:
        call(chain, function, *args, identity=identity)
    assert info.value.code == code, info.value.message


def new_org_id() -> str:
    return f"ORG-{secrets.token_hex(4)}"


def propose(
    chain: Chain, people: list[str], org_type: str = "BUSINESS", proposer: str | None = None,
    identity: ServiceIdentity = PARTNER,
) -> str:
    org_id = new_org_id()
    call(chain, "ProposeOrganization", org_id, "Acme Ltd", org_type, json.dumps(people),
         proposer or people[0], identity=identity)
    return org_id


def verified_org(chain: Chain, size: int = 4, funded: bool = True) -> tuple[str, list[str]]:
    people = [chain.funded_user() if funded else chain.create_user() for _ in range(size)]
    org_id = propose(chain, people)
    for person in people:
        call(chain, "EndorseMembership", org_id, person)
    call(chain, "ActivateOrganization", org_id, people[0])
    return org_id, people


def fund(chain: Chain, from_id: str, org_id: str, amount: int) -> None:
    chain.call("TokenomicsContract", "TransferWithFees", from_id, org_id, amount, "", "funding", "",
               identity=ADMIN)


def rule(threshold: int, k: int, group: list[str]) -> str:
    return json.dumps(
        {"amountThreshold": threshold, "requiredApprovers": k, "approverGroup": group})


# --- proposing, endorsing, activating --------------------------------------------------------

def test_propose_endorse_activate(booted: Chain) -> None:
    people = [booted.create_user() for _ in range(3)]
    org_id = new_org_id()
    committed = call(booted, "ProposeOrganization", org_id, "Acme Ltd", "NGO", json.dumps(people),
                     people[1])
    assert committed.result == {"orgID": org_id, "status": "PendingEndorsement"}
    assert committed.event is not None and committed.event.name == "OrganizationProposed"
    org = booted.query(C, "GetOrganization", org_id)
    assert org["status"] == "PendingEndorsement" and org["accountType"] == "NGO"
    assert org["endorsements"] == {p: False for p in people} and org["rules"] == []
    assert org["country"] == "NG" and org["balance"] == "0"
    # The org's own account exists at once, Locked until the organization is Verified.
    account = booted.ledger.state(f"account\x1f{org_id}")
    assert account["status"] == "Locked" and account["type"] == "NGO"

    refused(booted, "INVALID_STATE", "ActivateOrganization", org_id, people[0])
    for person in people:
        event = call(booted, "EndorseMembership", org_id, person).event
        assert event is not None and event.payload["userID"] == person
    assert event.payload["allEndorsed"] is True
    refused(booted, "NOT_AUTHORIZED", "ActivateOrganization", org_id, "outsider")
    committed = call(booted, "ActivateOrganization", org_id, people[2])
    assert committed.event is not None and committed.event.payload["status"] == "Verified"
    assert booted.query(C, "GetOrganization", org_id)["status"] == "Verified"
    assert booted.ledger.state(f"account\x1f{org_id}")["status"] == "Active"
    refused(booted, "INVALID_STATE", "EndorseMembership", org_id, people[0])
    refused(booted, "INVALID_STATE", "ActivateOrganization", org_id, people[0])


def test_endorsement_is_once_per_stakeholder(booted: Chain) -> None:
    people = [booted.create_user() for _ in range(2)]
    org_id = propose(booted, people)
    call(booted, "EndorseMembership", org_id, people[0])
    refused(booted, "ALREADY_EXISTS", "EndorseMembership", org_id, people[0])
    refused(booted, "NOT_AUTHORIZED", "EndorseMembership", org_id, "outsider")
    refused(booted, "NOT_FOUND", "EndorseMembership", "ORG-nope", people[0])


def test_proposal_rejections(booted: Chain) -> None:
    a, b = booted.create_user(), booted.create_user()
    refused(booted, "NOT_AUTHORIZED", "ProposeOrganization", new_org_id(), "X", "BUSINESS",
            json.dumps([a, b]), "outsider")
    refused(booted, "NOT_FOUND", "ProposeOrganization", new_org_id(), "X", "BUSINESS",
            json.dumps([a, "ghost"]), a)
    refused(booted, "INVALID_ARGUMENT", "ProposeOrganization", new_org_id(), "X", "BUSINESS",
            json.dumps([a]), a)
    refused(booted, "INVALID_ARGUMENT", "ProposeOrganization", new_org_id(), "X", "BUSINESS",
            json.dumps([a, a, b]), a)
    refused(booted, "INVALID_ARGUMENT", "ProposeOrganization", new_org_id(), "X", "BUSINESS",
            "not json", a)
    refused(booted, "INVALID_ARGUMENT", "ProposeOrganization", new_org_id(), "X", "CARTEL",
            json.dumps([a, b]), a)
    refused(booted, "INVALID_ARGUMENT", "ProposeOrganization", "SYSTEM_LOAN_POOL", "X", "BUSINESS",
            json.dumps([a, b]), a)
    refused(booted, "ALREADY_EXISTS", "ProposeOrganization", a, "X", "BUSINESS",
            json.dumps([a, b]), a)  # the id of an existing account
    taken = propose(booted, [a, b])
    refused(booted, "ALREADY_EXISTS", "ProposeOrganization", taken, "X", "BUSINESS",
            json.dumps([a, b]), a)


def test_government_needs_an_admin(booted: Chain) -> None:
    a, b = booted.create_user(), booted.create_user()
    refused(booted, "NOT_AUTHORIZED", "ProposeOrganization", new_org_id(), "Ministry",
            "GOVERNMENT", json.dumps([a, b]), a)
    propose(booted, [a, b], "GOVERNMENT", identity=ADMIN)  # an admin service identity
    booted.call("AdminContract", "AppointAdmin", b, identity=SUPER)
    propose(booted, [a, b], "GOVERNMENT", proposer=b)  # a user appointed admin on chain


# --- auth rules ------------------------------------------------------------------------------

def test_define_auth_rule(booted: Chain) -> None:
    org_id, people = verified_org(booted, funded=False)
    committed = call(booted, "DefineAuthRule", org_id, rule(coins(1000), 1, [people[3]]), people[0])
    assert committed.event is not None and committed.event.payload["ruleIndex"] == 0
    call(booted, "DefineAuthRule", org_id, rule(coins(10), 2, people[:3]), people[1])
    call(booted, "DefineAuthRule", org_id, rule(0, 1, people[:1]), "an-admin", identity=ADMIN)
    rules = booted.query(C, "GetOrganization", org_id)["rules"]
    assert [r["amountThreshold"] for r in rules] == [coins(1000), coins(10), 0]  # appended
    refused(booted, "NOT_AUTHORIZED", "DefineAuthRule", org_id, rule(0, 1, people[:1]), "outsider")
    for bad in (rule(0, 0, people[:1]), rule(0, 3, people[:2]), rule(0, 1, []),
                rule(0, 1, [people[0], people[0]]), rule(0, 1, ["outsider"]), rule(-1, 1, people),
                "[]", "{"):
        refused(booted, "INVALID_ARGUMENT", "DefineAuthRule", org_id, bad, people[0])


# --- multisig transfers ----------------------------------------------------------------------

def test_multisig_transfer_runs_at_the_threshold_with_fees(booted: Chain) -> None:
    org_id, (ceo, cfo, coo, treasurer) = verified_org(booted)
    fund(booted, ceo, org_id, coins(400))
    fund(booted, cfo, org_id, coins(400))
    recipient = booted.create_user()
    # Defined out of order: the first-match rule would need 1 approval for 300 coins.
    call(booted, "DefineAuthRule", org_id, rule(coins(1), 1, [treasurer]), ceo)
    call(booted, "DefineAuthRule", org_id, rule(coins(100), 3, [ceo, cfo, coo, treasurer]), ceo)
    call(booted, "DefineAuthRule", org_id, rule(coins(10), 2, [ceo, cfo, coo]), ceo)

    supply = booted.total_supply()
    org_before, collector_before = booted.balance(org_id), booted.balance(FEE_COLLECTOR)
    tx_id = secrets.token_hex(32)
    committed = booted.call(C, "InitiateMultiSigTx", org_id, recipient, coins(300), "rent", ceo,
                            identity=PARTNER, tx_id=tx_id)
    pending = committed.result["pendingTxID"]
    assert pending == ms.pending_tx_id(tx_id)  # derived from the tx id: reproducible
    assert committed.result["approvals"] == [ceo]  # the initiator's approval counts
    assert committed.event is not None and committed.event.name == "OrgTransferEvent"
    assert committed.event.payload == {
        "pendingTxID": pending, "orgID": org_id, "fromID": org_id, "toID": recipient,
        "amount": coins(300), "remark": "rent", "initiatorID": ceo, "requiredApprovals": 3,
        "approverGroup": [ceo, cfo, coo, treasurer], "approvals": [ceo],
    }
    refused(booted, "NOT_AUTHORIZED", "ApproveMultiSigTx", pending, recipient)
    refused(booted, "ALREADY_EXISTS", "ApproveMultiSigTx", pending, ceo)
    event = call(booted, "ApproveMultiSigTx", pending, cfo).event
    assert event is not None and event.name == "OrgTxApproved"
    assert event.payload["approvals"] == [ceo, cfo]
    assert booted.balance(recipient) == 0  # 2 of 3: nothing moved yet

    committed = call(booted, "ApproveMultiSigTx", pending, treasurer)
    assert committed.result == {"pendingTxID": pending, "status": "Executed"}
    event = committed.event
    assert event is not None and event.name == "OrgTxExecuted"
    quote = fees.quote(coins(300), from_id=org_id, to_id=recipient,
                       from_type=fees.AccountType.BUSINESS, to_type=fees.AccountType.INDIVIDUAL,
                       from_country="NG", to_country="NG", params=Params())
    assert quote.tx_type is fees.TxType.MERCHANT and quote.sender_fee > 0
    assert event.payload["senderFee"] == quote.sender_fee
    assert event.payload["netReceived"] == coins(300)
    assert event.payload["approverID"] == treasurer
    assert booted.balance(recipient) == coins(300)
    assert booted.balance(org_id) == org_before - coins(300) - quote.sender_fee
    assert booted.balance(FEE_COLLECTOR) == collector_before + quote.total_fee
    assert booted.total_supply() == supply
    tx = booted.query(C, "GetPendingTx", pending)
    assert tx["status"] == "Executed" and tx["approvals"] == [ceo, cfo, treasurer]
    refused(booted, "INVALID_STATE", "ApproveMultiSigTx", pending, coo)
    assert [t["pendingTxID"] for t in booted.query(C, "ListOrgTransactions", org_id)] == [pending]


def test_failed_execution_commits_the_approval_and_moves_nothing(booted: Chain) -> None:
    org_id, (ceo, cfo, coo, _) = verified_org(booted)
    fund(booted, ceo, org_id, coins(10))
    recipient = booted.create_user()
    call(booted, "DefineAuthRule", org_id, rule(0, 2, [ceo, cfo, coo]), ceo)
    pending = call(booted, "InitiateMultiSigTx", org_id, recipient, coins(50), "", ceo).result[
        "pendingTxID"]
    before = booted.all_accounts()
    committed = call(booted, "ApproveMultiSigTx", pending, cfo)
    assert committed.result["status"] == "ExecutionFailed"
    event = committed.event
    assert event is not None and event.name == "OrgTxExecutionFailed"
    assert event.payload["errorCode"] == "INSUFFICIENT_FUNDS"
    assert event.payload["approvals"] == [ceo, cfo]
    assert booted.all_accounts() == before  # not one Qirat moved
    tx = booted.query(C, "GetPendingTx", pending)
    assert tx["status"] == "ExecutionFailed" and tx["error"].startswith("INSUFFICIENT_FUNDS")
    refused(booted, "INVALID_STATE", "ApproveMultiSigTx", pending, coo)


def test_balance_covering_the_amount_but_not_the_fee_rolls_back_both_legs(booted: Chain) -> None:
    # The amount leg succeeds, then the fee leg is refused: the amount leg must be undone too.
    org_id, (ceo, cfo, _, _) = verified_org(booted)
    fund(booted, ceo, org_id, coins(10))
    amount = booted.balance(org_id)
    recipient = booted.create_user()
    call(booted, "DefineAuthRule", org_id, rule(0, 2, [ceo, cfo]), ceo)
    pending = call(booted, "InitiateMultiSigTx", org_id, recipient, amount, "", ceo).result[
        "pendingTxID"]
    before = booted.all_accounts()
    committed = call(booted, "ApproveMultiSigTx", pending, cfo)
    assert committed.event is not None and committed.event.name == "OrgTxExecutionFailed"
    assert committed.event.payload["errorCode"] == "INSUFFICIENT_FUNDS"
    assert booted.all_accounts() == before
    assert booted.query(C, "GetPendingTx", pending)["status"] == "ExecutionFailed"


def test_frozen_recipient_fails_execution_without_partial_movement(booted: Chain) -> None:
    org_id, (ceo, cfo, _, _) = verified_org(booted)
    fund(booted, ceo, org_id, coins(100))
    recipient = booted.create_user()
    call(booted, "DefineAuthRule", org_id, rule(0, 2, [ceo, cfo]), ceo)
    pending = call(booted, "InitiateMultiSigTx", org_id, recipient, coins(5), "", ceo).result[
        "pendingTxID"]
    booted.call("TokenomicsContract", "FreezeWallet", recipient, "court order", identity=SUPER)
    before = booted.all_accounts()
    committed = call(booted, "ApproveMultiSigTx", pending, cfo)
    assert committed.event is not None and committed.event.payload["errorCode"] == "ACCOUNT_FROZEN"
    assert booted.all_accounts() == before


def test_one_of_rule_with_the_initiator_executes_at_once(booted: Chain) -> None:
    org_id, (ceo, cfo, _, _) = verified_org(booted)
    fund(booted, ceo, org_id, coins(100))
    call(booted, "DefineAuthRule", org_id, rule(0, 1, [ceo]), ceo)
    committed = call(booted, "InitiateMultiSigTx", org_id, cfo, coins(20), "petty cash", ceo)
    assert committed.result["status"] == "Executed"
    assert committed.event is not None and committed.event.name == "OrgTxExecuted"
    assert committed.event.payload["approverID"] == ceo


def test_initiator_outside_the_group_does_not_approve(booted: Chain) -> None:
    org_id, (ceo, cfo, coo, _) = verified_org(booted)
    call(booted, "DefineAuthRule", org_id, rule(0, 1, [cfo]), ceo)
    committed = call(booted, "InitiateMultiSigTx", org_id, coo, coins(1), "", ceo)
    assert committed.result["status"] == "Pending" and committed.result["approvals"] == []


def test_initiation_rejections(booted: Chain) -> None:
    org_id, (ceo, cfo, _, _) = verified_org(booted, funded=False)
    refused(booted, "INVALID_ARGUMENT", "InitiateMultiSigTx", org_id, cfo, coins(5), "", ceo)
    call(booted, "DefineAuthRule", org_id, rule(coins(10), 1, [cfo]), ceo)
    # No rule covers 5 coins (only > 10): rejected, as the chain does.
    with pytest.raises(BusinessRejection) as info:
        call(booted, "InitiateMultiSigTx", org_id, cfo, coins(5), "", ceo)
    assert "no authorization rule" in info.value.message
    refused(booted, "NOT_AUTHORIZED", "InitiateMultiSigTx", org_id, cfo, coins(50), "", "outsider")
    refused(booted, "INVALID_AMOUNT", "InitiateMultiSigTx", org_id, cfo, "0", "", ceo)
    refused(booted, "INVALID_ARGUMENT", "InitiateMultiSigTx", org_id, cfo, "1.5", "", ceo)
    refused(booted, "NOT_FOUND", "InitiateMultiSigTx", org_id, "ghost", coins(50), "", ceo)
    refused(booted, "INVALID_ARGUMENT", "InitiateMultiSigTx", org_id, org_id, coins(50), "", ceo)
    pending_org = propose(booted, [ceo, cfo])
    refused(booted, "INVALID_STATE", "InitiateMultiSigTx", pending_org, cfo, coins(50), "", ceo)
    refused(booted, "NOT_FOUND", "ApproveMultiSigTx", "PENDING_TX_nope", cfo)


def test_pending_org_account_can_receive_but_not_spend(booted: Chain) -> None:
    a, b = booted.funded_user(), booted.funded_user()
    org_id = propose(booted, [a, b])
    fund(booted, a, org_id, coins(10))
    assert booted.balance(org_id) == coins(10)
    with pytest.raises(BusinessRejection) as info:
        booted.call("TokenomicsContract", "TransferWithFees", org_id, a, coins(1), "", "", "",
                    identity=ADMIN)
    assert info.value.code == "ACCOUNT_LOCKED"


def test_queries(booted: Chain) -> None:
    for function in ("GetOrganization", "GetPendingTx", "ListOrgTransactions"):
        with pytest.raises(BusinessRejection) as info:
            booted.query(C, function, "nothing")
        assert info.value.code == "NOT_FOUND"
