"""AdminContract: bootstrap, countries, treasuries, parameters, pause/resume, admins, status."""

from __future__ import annotations

import json

import pytest

from shared.chain.port import BusinessRejection
from shared.domain import parameters
from shared.domain.accounts import POOL_ALLOCATIONS, TOTAL_SUPPLY
from tests.integration.chain.support import ADMIN, PARTNER, SUPER, Chain


def rejected(chain: Chain, code: str, contract: str, function: str, *args: object,
             identity=SUPER) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BusinessRejection) as info:
        chain.call(contract, function, *args, identity=identity)
    assert info.value.code == code, info.value.message


def test_bootstrap_mints_the_fixed_supply_into_the_pools_once(chain: Chain) -> None:
    rejected(chain, "NOT_AUTHORIZED", "AdminContract", "BootstrapSystem", identity=ADMIN)
    committed = chain.call("AdminContract", "BootstrapSystem")
    assert committed.event is not None
    assert committed.event.payload["totalSupply"] == TOTAL_SUPPLY
    assert {p["accountID"]: p["amount"] for p in committed.event.payload["pools"]} == POOL_ALLOCATIONS
    assert chain.all_accounts() == POOL_ALLOCATIONS
    assert chain.query("AdminContract", "GetSystemParameters") == parameters.defaults()
    rejected(chain, "ALREADY_BOOTSTRAPPED", "AdminContract", "BootstrapSystem")
    assert chain.total_supply() == TOTAL_SUPPLY


def test_functions_need_a_bootstrapped_chain(chain: Chain) -> None:
    rejected(chain, "NOT_BOOTSTRAPPED", "AdminContract", "InitializeCountryData",
             json.dumps([{"code": "NG", "percentage": "0.1"}]))
    rejected(chain, "NOT_BOOTSTRAPPED", "IdentityContract", "CreateUser", "u", "a" * 64, "NG", "20",
             identity=PARTNER)


def test_initialize_country_data_sets_quotas_and_locked_treasuries(chain: Chain) -> None:
    chain.call("AdminContract", "BootstrapSystem")
    committed = chain.call(
        "AdminContract", "InitializeCountryData",
        json.dumps({"countriesData": [{"countryCode": "ng", "percentage": 0.5},
                                      {"code": "US", "name": "United States", "percentage": "0.25"}]}),
    )
    assert committed.result == {"countries": ["NG", "US"]}
    stats = chain.query("AdminContract", "GetCountryStats", "NG")
    assert stats["phaseAllocations"] == [50_000_000, 100_000_000, 150_000_000, 200_000_000,
                                         775_000_000, 1_225_000_000]
    assert stats["treasuryID"] == "treasury_NG" and stats["treasuryStatus"] == "Locked"
    assert stats["currentPhase"] == 1
    rejected(chain, "ALREADY_EXISTS", "AdminContract", "InitializeCountryData",
             json.dumps([{"code": "NG", "percentage": "0.01"}]))
    # Shares beyond the whole world would promise the genesis pools twice.
    rejected(chain, "INVALID_ARGUMENT", "AdminContract", "InitializeCountryData",
             json.dumps([{"code": "IN", "percentage": "0.3"}]))
    for bad in ("not json", "[]", json.dumps([{"code": "X1", "percentage": "0.1"}]),
                json.dumps([{"code": "FR", "percentage": "1.5"}]),
                json.dumps([{"code": "FR", "percentage": "0.1"}, {"code": "FR", "percentage": "0.1"}])):
        rejected(chain, "INVALID_ARGUMENT", "AdminContract", "InitializeCountryData", bad)
    rejected(chain, "NOT_AUTHORIZED", "AdminContract", "InitializeCountryData",
             json.dumps([{"code": "FR", "percentage": "0.1"}]), identity=ADMIN)


def test_activate_treasury(booted: Chain) -> None:
    committed = booted.call("AdminContract", "ActivateTreasuryAccount", "NG", identity=ADMIN)
    assert committed.event is not None
    assert committed.event.payload == {"treasuryID": "treasury_NG", "countryCode": "NG"}
    assert booted.query("AdminContract", "GetCountryStats", "NG")["treasuryStatus"] == "Active"
    rejected(booted, "INVALID_STATE", "AdminContract", "ActivateTreasuryAccount", "NG")
    rejected(booted, "NOT_FOUND", "AdminContract", "ActivateTreasuryAccount", "FR")
    rejected(booted, "NOT_AUTHORIZED", "AdminContract", "ActivateTreasuryAccount", "US",
             identity=PARTNER)


def test_update_system_parameter_validates_against_the_catalogue(booted: Chain) -> None:
    committed = booted.call("AdminContract", "UpdateSystemParameter", "FEE_SENDER_PCT", "100",
                            identity=ADMIN)
    assert committed.event is not None
    assert committed.event.payload == {"paramKey": "FEE_SENDER_PCT", "paramValue": "100",
                                       "oldValue": "50"}
    assert booted.query("AdminContract", "GetSystemParameters")["FEE_SENDER_PCT"] == "100"
    rejected(booted, "NOT_FOUND", "AdminContract", "UpdateSystemParameter", "totalSupplyCap", "1")
    # gaps A29: a fee rate can never exceed 10 %.
    rejected(booted, "INVALID_ARGUMENT", "AdminContract", "UpdateSystemParameter",
             "transactionFeeBps", "1001")
    rejected(booted, "INVALID_ARGUMENT", "AdminContract", "UpdateSystemParameter",
             "velocityTaxMinBps", "700")  # above velocityTaxMaxBps
    rejected(booted, "INVALID_ARGUMENT", "AdminContract", "UpdateSystemParameter",
             "votingPeriodDays", "-1")
    rejected(booted, "NOT_AUTHORIZED", "AdminContract", "UpdateSystemParameter",
             "votingPeriodDays", "7", identity=PARTNER)


def test_pause_blocks_writes_until_resume(booted: Chain) -> None:
    user = booted.create_user()
    committed = booted.call("AdminContract", "PauseSystem", "  incident 42 ")
    assert committed.event is not None and committed.event.payload == {"reason": "incident 42"}
    status = booted.query("AdminContract", "GetSystemStatus")
    assert status["paused"] is True and status["reason"] == "incident 42"
    # gaps A28: genesis too.
    rejected(booted, "SYSTEM_PAUSED", "TokenomicsContract", "DistributeGenesis", user, "NG",
             identity=ADMIN)
    rejected(booted, "SYSTEM_PAUSED", "IdentityContract", "CreateUser", "x", "b" * 64, "NG", "30",
             identity=PARTNER)
    rejected(booted, "SYSTEM_PAUSED", "AdminContract", "PauseSystem", "again")
    assert booted.balance("SYSTEM_GX_POOL") > 0  # queries still answer
    rejected(booted, "NOT_AUTHORIZED", "AdminContract", "ResumeSystem", identity=ADMIN)
    resumed = booted.call("AdminContract", "ResumeSystem")
    assert resumed.event is not None and resumed.event.payload == {}
    rejected(booted, "INVALID_STATE", "AdminContract", "ResumeSystem")
    booted.call("TokenomicsContract", "DistributeGenesis", user, "NG", identity=ADMIN)
    rejected(booted, "INVALID_ARGUMENT", "AdminContract", "PauseSystem", "   ")


def test_appoint_admin(booted: Chain) -> None:
    committed = booted.call("AdminContract", "AppointAdmin", "NG ABC DEF123 0ABCD 1234")
    assert committed.event is not None
    assert committed.event.payload == {"adminID": "NG ABC DEF123 0ABCD 1234"}
    rejected(booted, "ALREADY_EXISTS", "AdminContract", "AppointAdmin", "NG ABC DEF123 0ABCD 1234")
    rejected(booted, "NOT_AUTHORIZED", "AdminContract", "AppointAdmin", "other", identity=ADMIN)


def test_get_system_status(chain: Chain) -> None:
    before = chain.query("AdminContract", "GetSystemStatus")
    assert before["bootstrapped"] is False and before["status"] == "NOT_BOOTSTRAPPED"
    chain.bootstrap()
    user = chain.funded_user()
    after = chain.query("AdminContract", "GetSystemStatus")
    assert after["bootstrapped"] is True and after["status"] == "ACTIVE"
    assert after["totalSupply"] == TOTAL_SUPPLY and after["totalUsers"] == 1
    assert after["phaseUsers"]["1"] == 1
    assert user
    with pytest.raises(BusinessRejection) as info:
        chain.query("AdminContract", "GetCountryStats", "FR")
    assert info.value.code == "NOT_FOUND"
