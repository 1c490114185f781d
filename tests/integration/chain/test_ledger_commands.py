"""The command catalogue entries of Admin, Identity, Tokenomics and TaxAndFee against the ledger.

Every command maps to a registered chain function whose role admits the command's identity, and
a valid payload, mapped by the catalogue, commits on the embedded chain.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.chain.catalogue import commands, get_command
from shared.chain.embedded.framework import registered
from tests.integration.chain.support import Chain, bio, new_tx_id

MINE = ["CREATE_USER", "DISTRIBUTE_GENESIS", "TRANSFER_TOKENS", "FREEZE_WALLET",
        "UNFREEZE_WALLET", "BOOTSTRAP_SYSTEM", "INITIALIZE_COUNTRY_DATA", "UPDATE_SYSTEM_PARAMETER",
        "PAUSE_SYSTEM", "RESUME_SYSTEM", "APPOINT_ADMIN", "ACTIVATE_TREASURY", "APPLY_VELOCITY_TAX"]


def test_every_command_targets_a_chain_function_its_identity_may_call() -> None:
    functions = registered()
    for command in commands().values():
        fn = functions.get(f"{command.contract}:{command.function}")
        assert fn is not None, command.type
        assert not fn.query, command.type
        assert command.identity in fn.roles, command.type
    assert set(MINE) <= set(commands())


def run(chain: Chain, command_type: str, payload: dict[str, Any]) -> Any:
    contract, function, args, identity = get_command(command_type).to_call(payload)
    committed = chain.call(contract, function, *args, identity=identity, tx_id=new_tx_id())
    return committed.result


def test_commands_commit_on_the_embedded_chain(chain: Chain) -> None:
    run(chain, "BOOTSTRAP_SYSTEM", {})
    run(chain, "INITIALIZE_COUNTRY_DATA", {"countriesData": [
        {"code": "ng", "name": "Nigeria", "percentage": "0.03384748"},
        {"countryCode": "US", "percentage": 0.03194266}]})
    for uid, cc in (("NG AAA", "NG"), ("US BBB", "US")):
        run(chain, "CREATE_USER", {"userId": uid, "biometricHash": bio().upper(),
                                   "nationality": cc.lower(), "age": 30})
        run(chain, "DISTRIBUTE_GENESIS", {"userId": uid, "countryCode": cc})
    paid = run(chain, "TRANSFER_TOKENS", {"fromUserId": "NG AAA", "toUserId": "US BBB",
                                          "amount": 5_000_000, "remark": "gift"})
    assert paid["amount"] == 5_000_000 and paid["remark"] == "gift"
    run(chain, "FREEZE_WALLET", {"userId": "US BBB", "reason": "review"})
    run(chain, "UNFREEZE_WALLET", {"userID": "US BBB"})
    run(chain, "UPDATE_SYSTEM_PARAMETER", {"paramId": "FEE_SENDER_PCT", "newValue": "100"})
    run(chain, "ACTIVATE_TREASURY", {"countryCode": "NG"})
    run(chain, "APPOINT_ADMIN", {"newAdminId": "NG AAA"})
    run(chain, "PAUSE_SYSTEM", {"reason": "maintenance"})
    run(chain, "RESUME_SYSTEM", {})
    chain.clock.advance(361)
    taxed = run(chain, "APPLY_VELOCITY_TAX", {"accountId": "NG AAA"})
    assert taxed["taxRateBps"] == 250


@pytest.mark.parametrize(
    ("command_type", "payload"),
    [
        ("CREATE_USER", {"userId": "u", "biometricHash": "abc", "nationality": "NG", "age": 30}),
        ("CREATE_USER", {"userId": "u", "biometricHash": "a" * 64, "nationality": "NGA", "age": 30}),
        ("CREATE_USER", {"userId": "u", "biometricHash": "a" * 64, "nationality": "NG", "age": "30"}),
        ("CREATE_USER", {"userId": "u", "biometricHash": "a" * 64, "nationality": "NG", "age": 30,
                         "password": "x"}),
        ("TRANSFER_TOKENS", {"fromUserId": "a", "toUserId": "b", "amount": 0}),
        ("TRANSFER_TOKENS", {"fromUserId": "a", "toUserId": "b", "amount": "1.5"}),
        ("TRANSFER_TOKENS", {"fromUserId": "a", "toUserId": "b", "amount": 1.5}),
        ("TRANSFER_TOKENS", {"fromUserId": "a", "toUserId": "b", "amount": -3}),
        ("TRANSFER_TOKENS", {"fromUserId": "a", "toUserId": "b", "amount": True}),
        ("TRANSFER_TOKENS", {"fromUserId": "a", "toUserId": "b", "amount": str(2**64)}),
        ("TRANSFER_TOKENS", {"fromUserId": "", "toUserId": "b", "amount": 5}),
        ("TRANSFER_TOKENS", {"fromUserId": "a", "toUserId": "b", "amount": 5, "txTypeHint": "X"}),
        ("DISTRIBUTE_GENESIS", {"userId": "u"}),
        ("FREEZE_WALLET", {"userId": "u", "reason": "  "}),
        ("INITIALIZE_COUNTRY_DATA", {"countriesData": []}),
        ("INITIALIZE_COUNTRY_DATA", {"countriesData": [{"code": "NG", "percentage": "2"}]}),
        ("INITIALIZE_COUNTRY_DATA", {"countriesData": [{"code": "NG", "percentage": "0.6"},
                                                       {"code": "US", "percentage": "0.6"}]}),
        ("INITIALIZE_COUNTRY_DATA", {"countriesData": [{"code": "NG", "percentage": "0.1"},
                                                       {"code": "ng", "percentage": "0.1"}]}),
        ("UPDATE_SYSTEM_PARAMETER", {"paramId": "totalSupplyCap", "newValue": "1"}),
        ("UPDATE_SYSTEM_PARAMETER", {"paramId": "transactionFeeBps", "newValue": "5000"}),
        ("PAUSE_SYSTEM", {"reason": ""}),
        ("RESUME_SYSTEM", {"why": "x"}),
        ("ACTIVATE_TREASURY", {"countryCode": "N1"}),
        ("APPLY_VELOCITY_TAX", {"accountId": "a", "taxRateBps": 600}),
    ],
)
def test_invalid_payloads_never_map(command_type: str, payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        get_command(command_type).to_call(payload)


def test_aggregates_keep_a_users_commands_in_one_order() -> None:
    def aggregate(command_type: str, payload: dict[str, Any]) -> str:
        command = get_command(command_type)
        return command.aggregate(command.payload.model_validate(payload))

    user = "NG ABC DEF123 0ABCD 1234"
    assert {
        aggregate("CREATE_USER", {"userId": user, "biometricHash": "a" * 64, "nationality": "NG",
                                  "age": 30}),
        aggregate("DISTRIBUTE_GENESIS", {"userId": user, "nationality": "NG"}),
        aggregate("TRANSFER_TOKENS", {"fromUserId": user, "toUserId": "x", "amount": "1"}),
        aggregate("FREEZE_WALLET", {"userId": user, "reason": "r"}),
    } == {f"user:{user}"}
    assert aggregate("BOOTSTRAP_SYSTEM", {}) == aggregate("INITIALIZE_COUNTRY_DATA", {
        "countriesData": [{"code": "NG", "percentage": "0.1"}]}) == "system"
    assert aggregate("ACTIVATE_TREASURY", {"countryCode": "ng"}) == "country:NG"
    assert aggregate("UPDATE_SYSTEM_PARAMETER", {"paramId": "votingPeriodDays",
                                                 "newValue": "7"}) == "param:votingPeriodDays"


def test_stored_payloads_round_trip() -> None:
    """The outbox stores `model_dump(mode="json", by_alias=True)` and maps it again at submit."""
    for command_type, payload in (
        ("TRANSFER_TOKENS", {"fromID": "a", "toID": "b", "amount": 7}),
        ("UPDATE_SYSTEM_PARAMETER", {"paramKey": "votingPeriodDays", "paramValue": " 7"}),
        ("INITIALIZE_COUNTRY_DATA", {"countriesData": [{"countryCode": "ng", "percentage": 0.5}]}),
    ):
        command = get_command(command_type)
        stored = command.payload.model_validate(payload).model_dump(mode="json", by_alias=True)
        assert command.to_call(stored) == command.to_call(payload)
