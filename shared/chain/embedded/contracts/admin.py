"""AdminContract: bootstrap, countries, parameters, pause/resume, admins, treasuries, status.

Bootstrap order (overview.md §5): BootstrapSystem (once) -> InitializeCountryData -> users.
BootstrapSystem is super-admin only and one-time (gaps.md A26: the reference chain had its role
check commented out, so anyone could re-initialise counters and the supply ledger).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from shared.chain.embedded import ledger_ops as ops
from shared.chain.embedded.framework import (
    ADMINS,
    ANYONE,
    SUPER_ADMINS,
    Stub,
    arg_country,
    arg_json,
    arg_text,
    chaincode,
    reject,
)
from shared.domain import genesis, parameters
from shared.domain.accounts import POOL_ALLOCATIONS, TOTAL_SUPPLY, AccountType, treasury_id
from shared.domain.errors import (
    ALREADY_BOOTSTRAPPED,
    ALREADY_EXISTS,
    INVALID_ARGUMENT,
    INVALID_STATE,
    NOT_FOUND,
)

CONTRACT = "AdminContract"


@chaincode(CONTRACT, "BootstrapSystem", roles=SUPER_ADMINS)
def bootstrap_system(stub: Stub) -> dict[str, Any]:
    if stub.get_json(ops.bootstrap_key(stub)):
        reject(ALREADY_BOOTSTRAPPED, "the system is already bootstrapped")
    for pool, amount in POOL_ALLOCATIONS.items():
        ops.mint_at_bootstrap(stub, pool, amount)
    now = stub.tx_timestamp.isoformat()
    stub.put_json(ops.params_key(stub), parameters.defaults())
    stub.put_json(
        ops.counters_key(stub),
        {"totalUsers": 0, "phaseUsers": {str(p.number): 0 for p in genesis.PHASES},
         "populationShareTotal": "0"},
    )
    stub.put_json(ops.status_key(stub), {"status": "ACTIVE", "reason": "", "since": now})
    stub.put_json(
        ops.bootstrap_key(stub),
        {"bootstrapped": True, "at": now, "totalSupply": TOTAL_SUPPLY, "pools": POOL_ALLOCATIONS},
    )
    pools = [{"accountID": pool, "amount": amount} for pool, amount in POOL_ALLOCATIONS.items()]
    stub.set_event("SystemBootstrapped", {"totalSupply": TOTAL_SUPPLY, "pools": pools})
    return {"totalSupply": TOTAL_SUPPLY, "pools": pools}


def _country_entries(raw: Any) -> list[tuple[str, Fraction, str]]:
    # Accept both shapes the backend has sent: [{code, name, percentage}] and
    # [{countryCode, percentage}] (commands.md, INITIALIZE_COUNTRY_DATA "later").
    if isinstance(raw, dict) and "countriesData" in raw:
        raw = raw["countriesData"]
    if not isinstance(raw, list) or not raw:
        reject(INVALID_ARGUMENT, "countries must be a non-empty JSON list")
    entries: list[tuple[str, Fraction, str]] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            reject(INVALID_ARGUMENT, "each country must be an object")
        code = arg_country(str(item.get("countryCode") or item.get("code") or ""))
        if code in seen:
            reject(INVALID_ARGUMENT, f"country {code} is listed twice")
        seen.add(code)
        share = genesis.parse_share(item.get("percentage", item.get("populationPct")))
        entries.append((code, share, str(item.get("percentage", item.get("populationPct")))))
    return entries


@chaincode(CONTRACT, "InitializeCountryData", roles=SUPER_ADMINS)
def initialize_country_data(stub: Stub, countries_json: str) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    entries = _country_entries(arg_json(countries_json, "countriesData"))
    counters = stub.get_json(ops.counters_key(stub))
    total = Fraction(counters.get("populationShareTotal", "0"))
    initialized = []
    for code, share, pct_text in entries:
        if stub.get_json(ops.stats_key(stub, code)):
            reject(ALREADY_EXISTS, f"country {code} is already initialised")
        total += share
        allocations = genesis.phase_allocations(share)
        stub.put_json(
            ops.stats_key(stub, code),
            {"countryCode": code, "populationPct": pct_text, "phaseAllocations": allocations,
             "initialAllocations": allocations, "currentPhase": 1},
        )
        ops.open_account(
            stub, treasury_id(code), AccountType.TREASURY, country=code, status=ops.LOCKED,
            velocity_tax_exempt=True,
        )
        initialized.append({"countryCode": code, "populationPct": pct_text,
                            "phaseAllocations": allocations, "treasuryID": treasury_id(code)})
    # Quotas are shares of the world: beyond 100 % the genesis pools could be promised twice.
    if total > 1:
        reject(INVALID_ARGUMENT, "population shares of all countries would exceed 1.0")
    counters["populationShareTotal"] = f"{total.numerator}/{total.denominator}"
    stub.put_json(ops.counters_key(stub), counters)
    stub.set_event("CountryDataInitialized", {"countries": initialized})
    return {"countries": [c["countryCode"] for c in initialized]}


@chaincode(CONTRACT, "ActivateTreasuryAccount", roles=ADMINS)
def activate_treasury_account(stub: Stub, country_code: str) -> dict[str, Any]:
    code = arg_country(country_code)
    account = ops.get_account(stub, treasury_id(code))
    if account is None:
        reject(NOT_FOUND, f"treasury of {code} does not exist (initialise the country first)")
    if account["status"] != ops.LOCKED:
        reject(INVALID_STATE, f"treasury {treasury_id(code)} is {account['status']}, not Locked")
    account["status"] = ops.ACTIVE
    ops.save_account(stub, account)
    stub.set_event("TreasuryAccountActivated", {"treasuryID": treasury_id(code), "countryCode": code})
    return {"treasuryID": treasury_id(code), "status": ops.ACTIVE}


@chaincode(CONTRACT, "UpdateSystemParameter", roles=ADMINS)
def update_system_parameter(stub: Stub, param_id: str, new_value: str) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    name = arg_text(param_id, "paramId", max_len=100)
    value = parameters.validate(name, new_value)
    stored = dict(stub.get_json(ops.params_key(stub)) or {})
    old = stored.get(name, parameters.CATALOGUE[name].default)
    stored[name] = value
    parameters.check_consistent(stored)
    stub.put_json(ops.params_key(stub), stored)
    stub.set_event("SystemParameterUpdated", {"paramKey": name, "paramValue": value, "oldValue": old})
    return {"paramKey": name, "paramValue": value}


@chaincode(CONTRACT, "PauseSystem", roles=SUPER_ADMINS)
def pause_system(stub: Stub, reason: str) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    text = arg_text(reason, "reason", max_len=500).strip()
    stub.put_json(ops.status_key(stub),
                  {"status": "PAUSED", "reason": text, "since": stub.tx_timestamp.isoformat()})
    stub.set_event("SystemPaused", {"reason": text})
    return {"status": "PAUSED"}


@chaincode(CONTRACT, "ResumeSystem", roles=SUPER_ADMINS, pausable=False)
def resume_system(stub: Stub) -> dict[str, Any]:
    paused, _ = ops.is_paused(stub)
    if not paused:
        reject(INVALID_STATE, "the system is not paused")
    stub.put_json(ops.status_key(stub),
                  {"status": "ACTIVE", "reason": "", "since": stub.tx_timestamp.isoformat()})
    stub.set_event("SystemResumed", {})
    return {"status": "ACTIVE"}


@chaincode(CONTRACT, "AppointAdmin", roles=SUPER_ADMINS)
def appoint_admin(stub: Stub, new_admin_id: str) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    admin_id = arg_text(new_admin_id, "newAdminId", max_len=200).strip()
    # The 2025-12-21 fix rejects duplicate appointments (commands.md A6). Self-appointment cannot
    # happen here: the caller is a service identity, never the user being appointed.
    if stub.get_json(ops.admin_key(stub, admin_id)):
        reject(ALREADY_EXISTS, f"{admin_id} is already an admin")
    stub.put_json(
        ops.admin_key(stub, admin_id),
        {"adminID": admin_id, "appointedAt": stub.tx_timestamp.isoformat(),
         "appointedBy": stub.identity.value},
    )
    stub.set_event("AdminAppointed", {"adminID": admin_id})
    return {"adminID": admin_id}


@chaincode(CONTRACT, "GetSystemStatus", roles=ANYONE, query=True)
def get_system_status(stub: Stub) -> dict[str, Any]:
    status = stub.get_json(ops.status_key(stub)) or {}
    boot = stub.get_json(ops.bootstrap_key(stub)) or {}
    counters = stub.get_json(ops.counters_key(stub)) or {}
    return {
        "bootstrapped": bool(boot),
        "status": status.get("status", "NOT_BOOTSTRAPPED"),
        "paused": status.get("status") == "PAUSED",
        "reason": status.get("reason", ""),
        "since": status.get("since"),
        "totalSupply": boot.get("totalSupply", 0),
        "totalUsers": counters.get("totalUsers", 0),
        "phaseUsers": counters.get("phaseUsers", {}),
    }


@chaincode(CONTRACT, "GetSystemParameters", roles=ANYONE, query=True)
def get_system_parameters(stub: Stub) -> dict[str, str]:
    return ops.params(stub).as_dict()


@chaincode(CONTRACT, "GetCountryStats", roles=ANYONE, query=True)
def get_country_stats(stub: Stub, country_code: str) -> dict[str, Any]:
    code = arg_country(country_code)
    stats = stub.get_json(ops.stats_key(stub, code))
    if not stats:
        reject(NOT_FOUND, f"country {code} is not initialised")
    treasury = ops.get_account(stub, treasury_id(code)) or {}
    return {**stats, "treasuryID": treasury_id(code), "treasuryStatus": treasury.get("status"),
            "treasuryBalance": str(treasury.get("balance", 0))}
