"""Command catalogue entries for organizations, loans, governance and relationships.

Each command is driven the way the outbox drives it: the payload is validated and normalised as
at insert time (`shared.outbox.enqueue.validate`), stored as JSON, then mapped to its chain call
(`CommandDef.to_call`) and submitted with the entry's identity to the embedded ledger.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.chain.catalogue import commands
from shared.chain.embedded import framework
from shared.chain.port import Committed
from shared.domain.accounts import coins
from shared.errors import ValidationFailed
from shared.outbox.enqueue import Command, validate
from tests.integration.chain.support import ADMIN, Chain

MINE = {
    "PROPOSE_ORGANIZATION", "ENDORSE_MEMBERSHIP", "ACTIVATE_ORGANIZATION", "DEFINE_AUTH_RULE",
    "INITIATE_MULTISIG_TX", "APPROVE_MULTISIG_TX", "APPLY_FOR_LOAN", "APPROVE_LOAN", "REPAY_LOAN",
    "SUBMIT_PROPOSAL", "VOTE_ON_PROPOSAL", "EXECUTE_PROPOSAL", "REQUEST_RELATIONSHIP",
    "CONFIRM_RELATIONSHIP", "REJECT_RELATIONSHIP",
}
HASH = "ab" * 32


def run(chain: Chain, command_type: str, payload: dict[str, Any]) -> Committed:
    definition, stored, _ = validate(Command(command_type, payload))
    contract, function, args, identity = definition.to_call(json.loads(json.dumps(stored)))
    assert all(isinstance(a, str) for a in args)
    return chain.call(contract, function, *args, identity=identity)


def invalid(command_type: str, payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        validate(Command(command_type, payload))


def test_every_entry_maps_to_a_registered_function_it_may_call() -> None:
    defined = commands()
    assert MINE <= set(defined)
    assert "EXECUTE_MULTISIG_TX" not in defined  # the chain executes at the last approval
    functions = framework.registered()
    for name in MINE:
        cmd = defined[name]
        fn = functions[f"{cmd.contract}:{cmd.function}"]
        assert not fn.query and cmd.identity in fn.roles, name


def test_organization_flow_through_the_catalogue(booted: Chain) -> None:
    ceo, cfo = booted.funded_user(), booted.funded_user()
    to = booted.create_user()
    run(booted, "PROPOSE_ORGANIZATION", {"orgId": "ORG-cat", "orgName": "Cat Co",
                                         "orgType": "BUSINESS", "stakeholderIds": [ceo, cfo],
                                         "proposerId": ceo})
    for person in (ceo, cfo):
        run(booted, "ENDORSE_MEMBERSHIP", {"orgId": "ORG-cat", "userId": person})
    run(booted, "ACTIVATE_ORGANIZATION", {"orgId": "ORG-cat", "actorId": cfo})
    run(booted, "DEFINE_AUTH_RULE", {"orgId": "ORG-cat", "actorId": ceo, "rule": {
        "amountThreshold": "0", "requiredApprovers": 2, "approverGroup": [ceo, cfo]}})
    booted.call("TokenomicsContract", "TransferWithFees", ceo, "ORG-cat", coins(50), "", "", "",
                identity=ADMIN)
    pending = run(booted, "INITIATE_MULTISIG_TX", {
        "orgId": "ORG-cat", "toUserId": to, "amount": str(coins(20)), "remark": "supplies",
        "initiatorId": ceo}).result["pendingTxID"]
    committed = run(booted, "APPROVE_MULTISIG_TX", {"pendingTxId": pending, "userId": cfo})
    assert committed.result["status"] == "Executed"
    assert booted.balance(to) == coins(20)


def test_organization_payloads_are_validated_at_insert() -> None:
    good = {"orgId": "O", "orgName": "N", "orgType": "NGO", "stakeholderIds": ["a", "b"],
            "proposerId": "a"}
    validate(Command("PROPOSE_ORGANIZATION", good))
    invalid("PROPOSE_ORGANIZATION", {**good, "stakeholderIds": ["a"]})
    invalid("PROPOSE_ORGANIZATION", {**good, "orgType": "CARTEL"})
    invalid("PROPOSE_ORGANIZATION", {**good, "extra": 1})
    invalid("PROPOSE_ORGANIZATION", {k: v for k, v in good.items() if k != "proposerId"})
    rule = {"amountThreshold": 0, "requiredApprovers": 1, "approverGroup": ["a"]}
    validate(Command("DEFINE_AUTH_RULE", {"orgId": "O", "actorId": "a", "rule": rule}))
    for bad in ({**rule, "requiredApprovers": True}, {**rule, "amountThreshold": "-1"},
                {**rule, "amountThreshold": 1.5}, {**rule, "approverGroup": []}):
        invalid("DEFINE_AUTH_RULE", {"orgId": "O", "actorId": "a", "rule": bad})
    initiate = {"orgId": "O", "toUserId": "b", "amount": "100", "initiatorId": "a"}
    validate(Command("INITIATE_MULTISIG_TX", initiate))
    for amount in ("0", "1.5", "-3", True, 2.5):
        invalid("INITIATE_MULTISIG_TX", {**initiate, "amount": amount})


def test_loan_flow_through_the_catalogue(booted: Chain) -> None:
    from tests.integration.chain.test_loanpool import make_trusted

    borrower = booted.create_user()
    make_trusted(booted, borrower)
    loan = run(booted, "APPLY_FOR_LOAN", {"borrowerId": borrower, "amount": coins(150),
                                          "collateralHash": HASH}).result["loanID"]
    assert run(booted, "APPROVE_LOAN", {"loanId": loan}).result["status"] == "Active"
    assert run(booted, "REPAY_LOAN", {"loanId": loan, "borrowerId": borrower}).result[
        "status"] == "Paid"
    invalid("APPLY_FOR_LOAN", {"borrowerId": "b", "amount": "10", "collateralHash": "xyz"})
    invalid("APPLY_FOR_LOAN", {"borrowerId": "b", "amount": 0, "collateralHash": HASH})


def test_governance_flow_through_the_catalogue(booted: Chain) -> None:
    voter = booted.create_user()
    proposal = run(booted, "SUBMIT_PROPOSAL", {"targetParam": "feeB2BLocalBps", "newValue": "25",
                                               "proposerId": "admin"}).result["proposalID"]
    event = run(booted, "VOTE_ON_PROPOSAL", {"proposalId": proposal, "voterId": voter,
                                             "vote": False}).event
    assert event is not None and event.payload["support"] is False
    booted.clock.advance(15)
    assert run(booted, "EXECUTE_PROPOSAL", {"proposalId": proposal}).result["status"] == "Failed"
    # Strict booleans only: "false" must never count as a yes (gaps.md B18).
    for vote in ("false", "true", 1, 0, None):
        invalid("VOTE_ON_PROPOSAL", {"proposalId": "P", "voterId": "v", "vote": vote})


def test_relationship_flow_through_the_catalogue(booted: Chain) -> None:
    a, b = booted.create_user(), booted.create_user()
    rel = run(booted, "REQUEST_RELATIONSHIP", {"subjectId": a, "objectId": b,
                                               "type": "SIBLING_OF"}).result["relationshipID"]
    event = run(booted, "CONFIRM_RELATIONSHIP", {"relationshipId": rel, "actorId": b}).event
    assert event is not None and event.payload["objectTrustScore"] == 25
    rel = run(booted, "REQUEST_RELATIONSHIP", {"subjectId": a, "objectId": b,
                                               "type": "FRIEND_OF"}).result["relationshipID"]
    assert run(booted, "REJECT_RELATIONSHIP", {"relationshipId": rel, "actorId": b}).result[
        "status"] == "Rejected"
    invalid("REQUEST_RELATIONSHIP", {"subjectId": a, "objectId": b, "type": "COUSIN_OF"})
