"""The events/ catalogue: every schema is valid draft 2020-12, closed and catalogued, and the
ledger refuses to commit an event that has no schema or does not validate."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from jsonschema import Draft202012Validator

import events
from shared.chain.embedded.framework import ANYONE, Stub, chaincode
from shared.chain.port import BusinessRejection
from tests.integration.chain.support import SUPER, Chain

SPEC_EVENTS = [  # events.md §3 that this side of the chain owns, plus the ones its contracts emit
    "UserCreated", "WalletCreated", "TransferCompleted", "GenesisDistributionEvent",
    "GenesisDistributed", "TreasuryAllocationEvent", "TransferEvent", "InternalTransferEvent",
    "VelocityTaxApplied", "SystemPaused", "SystemResumed", "TreasuryAccountActivated",
    "SystemBootstrapped", "CountryDataInitialized", "SystemParameterUpdated", "AdminAppointed",
    "TransferWithFeesCompleted", "WalletFrozen", "WalletUnfrozen",
]


def test_catalogue_entries_and_schemas() -> None:
    catalogue = events.catalogue()
    files = {p.name for p in resources.files("events").iterdir() if p.name.endswith(".json")}
    referenced = {entry["schema"] for entry in catalogue.values()}
    assert referenced == files - {"catalogue.json"}  # no orphan schema, no missing file
    for event_type, entry in catalogue.items():
        assert event_type == events.cloudevent_type(entry["event"], entry["version"])
        assert entry["schema"].endswith(f".v{entry['version']}.json")
        schema = events.schema(entry["schema"])
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["type"] == "object" and schema["additionalProperties"] is False, event_type


def test_spec_events_are_catalogued_and_genesis_has_both_names() -> None:
    names = {entry["event"] for entry in events.catalogue().values()}
    assert set(SPEC_EVENTS) <= names
    by_name = {entry["event"]: entry["schema"] for entry in events.catalogue().values()}
    assert by_name["GenesisDistributed"] == by_name["GenesisDistributionEvent"]


def test_snake_case() -> None:
    assert events.snake_case("TransferWithFeesCompleted") == "transfer_with_fees_completed"
    assert events.cloudevent_type("GenesisDistributionEvent") == (
        "org.gxcoin.chain.genesis_distribution_event.v1")
    assert events.snake_case("OrgTxApproved") == "org_tx_approved"


def test_validation_reports_problems() -> None:
    assert events.validation_errors("SystemPaused", {"reason": "x"}) == []
    assert events.validation_errors("SystemPaused", {"reason": "x", "extra": 1})
    assert events.validation_errors("TransferWithFeesCompleted", {"amount": "5"})
    with pytest.raises(events.UnknownEvent):
        events.validation_errors("NoSuchEvent", {})
    assert json.loads(json.dumps(events.catalogue()))  # plain JSON data


@chaincode("TestOnlyContract", "EmitUnknown", roles=ANYONE)
def _emit_unknown(stub: Stub) -> None:
    stub.put_json(stub.key("test", "x"), {"v": 1})
    stub.set_event("NoSuchEvent", {})


@chaincode("TestOnlyContract", "EmitInvalid", roles=ANYONE)
def _emit_invalid(stub: Stub) -> None:
    stub.set_event("SystemPaused", {"reason": ""})


@chaincode("TestOnlyContract", "EmitNothing", roles=ANYONE)
def _emit_nothing(stub: Stub) -> None:
    stub.put_json(stub.key("test", "y"), {"v": 1})


@chaincode("TestOnlyContract", "LastEventWins", roles=ANYONE)
def _last_event_wins(stub: Stub) -> None:
    stub.set_event("SystemPaused", {"reason": "first"})
    stub.set_event("SystemResumed", {})


@chaincode("TestOnlyContract", "Crash", roles=ANYONE)
def _crash(stub: Stub) -> None:
    stub.put_json(stub.key("test", "z"), {"v": 1})
    stub.set_event("SystemResumed", {})
    raise KeyError("bug")


@chaincode("TestOnlyContract", "BadResult", roles=ANYONE)
def _bad_result(stub: Stub) -> object:
    stub.set_event("SystemResumed", {})
    return {1, 2}


def test_the_ledger_commits_only_valid_single_events(chain: Chain) -> None:
    for function, code in (("EmitUnknown", "INVALID_EVENT"), ("EmitInvalid", "INVALID_EVENT"),
                           ("EmitNothing", "CHAINCODE_ERROR"), ("Crash", "CHAINCODE_ERROR"),
                           ("BadResult", "CHAINCODE_ERROR")):
        with pytest.raises(BusinessRejection) as info:
            chain.call("TestOnlyContract", function, identity=SUPER)
        assert info.value.code == code, function
    assert chain.ledger.height() == 0 and chain.ledger.state("test\x1fx") is None
    assert chain.ledger.state("test\x1fz") is None
    committed = chain.call("TestOnlyContract", "LastEventWins", identity=SUPER)
    assert committed.event is not None and committed.event.name == "SystemResumed"
    assert [e.name for e in chain.ledger.events()] == ["SystemResumed"]
