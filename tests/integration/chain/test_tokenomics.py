"""TokenomicsContract: genesis, transfers with fees, system transfers, freezing, balances, history."""

from __future__ import annotations

import json

import pytest

from shared.chain.port import BusinessRejection
from shared.domain.accounts import (
    FEE_COLLECTOR,
    GOVT_GENESIS_POOL,
    POOL_ALLOCATIONS,
    TOTAL_SUPPLY,
    USER_GENESIS_POOL,
    coins,
)
from tests.integration.chain.support import ADMIN, PARTNER, SUPER, Chain

T = "TokenomicsContract"


def refused(chain: Chain, code: str, function: str, *args: object, identity=ADMIN) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BusinessRejection) as info:
        chain.call(T, function, *args, identity=identity)
    assert info.value.code == code, info.value.message


def transfer(chain: Chain, sender: str, receiver: str, amount: int, hint: str = "",
             remark: str = "", key: str = "") -> dict:  # type: ignore[type-arg]
    committed = chain.call(T, "TransferWithFees", sender, receiver, amount, hint, remark, key,
                           identity=ADMIN)
    assert committed.event is not None and committed.event.name == "TransferWithFeesCompleted"
    assert committed.event.payload == committed.result
    return committed.event.payload


def test_genesis_pays_user_and_treasury_once(booted: Chain) -> None:
    user = booted.create_user(country="NG", age=30)
    committed = booted.call(T, "DistributeGenesis", user, "NG", identity=ADMIN)
    assert committed.event is not None and committed.event.name == "GenesisDistributed"
    assert committed.event.payload == {
        "userID": user, "amount": coins(500), "phase": 1, "age": 30, "eligible": True,
        "nationality": "NG", "poolSource": USER_GENESIS_POOL, "treasuryID": "treasury_NG",
        "treasuryAmount": coins(50), "treasuryPoolSource": GOVT_GENESIS_POOL,
    }
    assert booted.balance(user) == coins(500)
    assert booted.balance("treasury_NG") == coins(50)  # a Locked treasury still receives
    assert booted.balance(USER_GENESIS_POOL) == POOL_ALLOCATIONS[USER_GENESIS_POOL] - coins(500)
    stats = booted.query("AdminContract", "GetCountryStats", "NG")
    assert stats["phaseAllocations"][0] == stats["initialAllocations"][0] - 1
    assert booted.query("IdentityContract", "GetUser", user)["genesisMinted"] is True
    refused(booted, "ALREADY_RECEIVED_GENESIS", "DistributeGenesis", user, "NG")
    refused(booted, "NOT_AUTHORIZED", "DistributeGenesis", user, "NG", identity=PARTNER)
    refused(booted, "NOT_FOUND", "DistributeGenesis", "nobody", "NG")
    other = booted.create_user(country="US")
    refused(booted, "INVALID_ARGUMENT", "DistributeGenesis", other, "NG")
    assert booted.total_supply() == TOTAL_SUPPLY


@pytest.mark.parametrize("age", [12, 74])
def test_genesis_outside_the_age_band_pays_nothing_but_counts_as_done(booted: Chain, age: int) -> None:
    user = booted.create_user(age=age)
    payload = booted.call(T, "DistributeGenesis", user, "NG", identity=ADMIN).result
    assert (payload["phase"], payload["amount"], payload["treasuryAmount"], payload["eligible"]) == (
        0, 0, 0, False)
    assert booted.balance(user) == 0
    refused(booted, "ALREADY_RECEIVED_GENESIS", "DistributeGenesis", user, "NG")


def test_genesis_moves_through_phases_and_stops_at_the_quota(chain: Chain) -> None:
    chain.call("AdminContract", "BootstrapSystem")
    # 1e-9 of the world: phases 1..6 get 0, 0, 0, 0, 1, 2 users.
    chain.call("AdminContract", "InitializeCountryData",
               json.dumps([{"code": "VA", "percentage": "0.000000001"}]))
    assert chain.query("AdminContract", "GetCountryStats", "VA")["phaseAllocations"] == [
        0, 0, 0, 0, 1, 2]
    paid = []
    for _ in range(4):
        user = chain.create_user(country="VA")
        paid.append(chain.call(T, "DistributeGenesis", user, "VA", identity=ADMIN).result)
    assert [(p["phase"], p["amount"], p["treasuryAmount"]) for p in paid] == [
        (5, coins(100), coins(50)), (6, coins(50), coins(10)), (6, coins(50), coins(10)),
        (0, 0, 0)]
    stats = chain.query("AdminContract", "GetCountryStats", "VA")
    assert stats["phaseAllocations"] == [0] * 6 and stats["currentPhase"] == 6
    assert chain.query("AdminContract", "GetSystemStatus")["phaseUsers"] == {
        "1": 0, "2": 0, "3": 0, "4": 0, "5": 1, "6": 2}


def test_p2p_transfer_splits_the_fee(booted: Chain) -> None:
    alice, bob = booted.funded_user(), booted.funded_user()
    paid = transfer(booted, alice, bob, coins(200), remark="rent")
    assert paid["transactionType"] == "P2P" and paid["scope"] == "LOCAL" and paid["feeBps"] == 10
    assert (paid["totalFee"], paid["senderFee"], paid["receiverFee"]) == (200_000, 100_000, 100_000)
    assert paid["netReceived"] == coins(200) - 100_000 and paid["feeCollector"] == FEE_COLLECTOR
    assert booted.balance(alice) == coins(300) - 100_000
    assert booted.balance(bob) == coins(700) - 100_000
    assert booted.balance(FEE_COLLECTOR) == POOL_ALLOCATIONS[FEE_COLLECTOR] + 200_000
    assert booted.total_supply() == TOTAL_SUPPLY


def test_fee_schedule_bands_scope_and_split_parameter(booted: Chain) -> None:
    ng1, ng2, us = booted.funded_user("NG"), booted.funded_user("NG"), booted.funded_user("US")
    assert transfer(booted, ng1, ng2, coins(2))["totalFee"] == 0  # under 3 coins: free
    assert transfer(booted, ng1, ng2, coins(50))["feeBps"] == 5
    cross = transfer(booted, ng1, us, coins(50))
    assert cross["scope"] == "CROSS_BORDER" and cross["feeBps"] == 15
    assert transfer(booted, ng1, us, coins(101))["feeBps"] == 25
    booted.call("AdminContract", "UpdateSystemParameter", "FEE_SENDER_PCT", "100", identity=ADMIN)
    all_sender = transfer(booted, ng2, ng1, coins(200))
    assert (all_sender["senderFee"], all_sender["receiverFee"]) == (200_000, 0)
    assert all_sender["netReceived"] == coins(200)
    exempt = transfer(booted, ng2, "SYSTEM_GX_POOL", coins(10))
    assert exempt["feeExempt"] is True and exempt["totalFee"] == 0
    assert booted.total_supply() == TOTAL_SUPPLY


def test_transfer_rejections(booted: Chain) -> None:
    alice, bob = booted.funded_user(), booted.funded_user()
    # The sender's fee share counts: the whole balance cannot move with a fee on top.
    refused(booted, "INSUFFICIENT_FUNDS", "TransferWithFees", alice, bob, coins(500), "", "", "")
    refused(booted, "INVALID_AMOUNT", "TransferWithFees", alice, bob, "0", "", "", "")
    refused(booted, "INVALID_ARGUMENT", "TransferWithFees", alice, bob, "-5", "", "", "")
    refused(booted, "INVALID_ARGUMENT", "TransferWithFees", alice, bob, "1.5", "", "", "")
    refused(booted, "INVALID_AMOUNT", "TransferWithFees", alice, alice, "10", "", "", "")
    refused(booted, "NOT_FOUND", "TransferWithFees", alice, "nobody", "10", "", "", "")
    refused(booted, "INVALID_ARGUMENT", "TransferWithFees", alice, bob, "10", "B2B", "", "")
    refused(booted, "INVALID_ARGUMENT", "TransferWithFees", alice, bob, "10", "BOGUS", "", "")
    refused(booted, "NOT_AUTHORIZED", "TransferWithFees", alice, bob, "10", "", "", "",
            identity=PARTNER)
    transfer(booted, alice, bob, 10, hint="P2P", key="req-1")
    refused(booted, "ALREADY_EXISTS", "TransferWithFees", alice, bob, "10", "", "", "req-1")
    assert booted.total_supply() == TOTAL_SUPPLY


def test_freeze_and_unfreeze(booted: Chain) -> None:
    alice, bob = booted.funded_user(), booted.funded_user()
    refused(booted, "NOT_AUTHORIZED", "FreezeWallet", alice, "fraud", identity=ADMIN)
    frozen = booted.call(T, "FreezeWallet", alice, "fraud check", identity=SUPER)
    assert frozen.event is not None
    assert frozen.event.payload == {"userID": alice, "reason": "fraud check"}
    assert booted.query("IdentityContract", "GetUser", alice)["frozen"] is True
    refused(booted, "ACCOUNT_FROZEN", "TransferWithFees", alice, bob, coins(1), "", "", "")
    refused(booted, "ACCOUNT_FROZEN", "TransferWithFees", bob, alice, coins(1), "", "", "")
    refused(booted, "INVALID_STATE", "FreezeWallet", alice, "again", identity=SUPER)
    refused(booted, "INVALID_ARGUMENT", "FreezeWallet", "SYSTEM_GX_POOL", "x", identity=SUPER)
    unfrozen = booted.call(T, "UnfreezeWallet", alice, identity=SUPER)
    assert unfrozen.event is not None and unfrozen.event.payload == {"userID": alice}
    refused(booted, "INVALID_STATE", "UnfreezeWallet", alice, identity=SUPER)
    transfer(booted, alice, bob, coins(1))


def test_transfer_internal_is_fee_exempt_and_for_system_accounts(booted: Chain) -> None:
    alice, bob = booted.funded_user(), booted.funded_user()
    committed = booted.call(T, "TransferInternal", "SYSTEM_GX_POOL", alice, coins(5),
                            "SYSTEM_ADJUSTMENT", "correction", identity=ADMIN)
    assert committed.event is not None and committed.event.name == "InternalTransferEvent"
    assert committed.event.payload == {"fromID": "SYSTEM_GX_POOL", "toID": alice,
                                       "amount": coins(5), "type": "SYSTEM_ADJUSTMENT",
                                       "remark": "correction"}
    assert booted.balance(alice) == coins(505)
    refused(booted, "INVALID_ARGUMENT", "TransferInternal", alice, bob, "1", "P2P_TRANSFER", "x")
    refused(booted, "INVALID_ARGUMENT", "TransferInternal", "SYSTEM_GX_POOL", alice, "1", "MINT", "x")
    # A treasury is Locked until an admin activates it: it may receive but not spend.
    refused(booted, "ACCOUNT_LOCKED", "TransferInternal", "treasury_NG", alice, "1",
            "SYSTEM_ADJUSTMENT", "x")
    booted.call("AdminContract", "ActivateTreasuryAccount", "NG", identity=ADMIN)
    booted.call(T, "TransferInternal", "treasury_NG", alice, "1", "SYSTEM_ADJUSTMENT", "x",
                identity=ADMIN)
    assert booted.total_supply() == TOTAL_SUPPLY


def test_balance_and_history(booted: Chain) -> None:
    alice, bob = booted.funded_user(), booted.funded_user()
    paid = transfer(booted, alice, bob, coins(200))
    assert booted.query(T, "GetBalance", alice) == str(coins(300) - paid["senderFee"])
    history = booted.query(T, "GetTransactionHistory", alice)
    assert len(history) == 2
    newest = history[0]
    assert newest["txID"] == paid["transactionID"]
    assert newest["balance"] == str(coins(300) - paid["senderFee"])
    assert [(m["kind"], m["delta"], m["counterparty"]) for m in newest["movements"]] == [
        ("TRANSFER", str(-coins(200)), bob), ("FEE", str(-paid["senderFee"]), FEE_COLLECTOR)]
    assert history[1]["movements"][0]["kind"] == "GENESIS_MINT"
    assert len(booted.query(T, "GetTransactionHistory", alice, "1")) == 1
    for function in ("GetBalance", "GetTransactionHistory"):
        with pytest.raises(BusinessRejection) as info:
            booted.query(T, function, "nobody")
        assert info.value.code == "NOT_FOUND"
