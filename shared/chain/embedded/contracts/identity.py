"""IdentityContract (users): CreateUser, GetUser, UserExists.

The chain keeps a minimal identity (rules.md §7.4): user id (the backend's fabric user id, also the
account id of the user's wallet), SHA-256 biometric hash (64 hex, one user per hash), nationality
(2 letters, initialised by InitializeCountryData first: gaps A25), age, status, trust score (base
10) and the genesis flag. Names, contact data and KYC evidence stay off-chain. Genesis is a
separate DISTRIBUTE_GENESIS transaction, so each transaction still has exactly one event (C11).
Relationship and trust-score functions of this contract live in `identity_relationships.py`.
"""

from __future__ import annotations

from typing import Any

from shared.chain.embedded import ledger_ops as ops
from shared.chain.embedded.framework import (
    ANYONE,
    Stub,
    arg_country,
    arg_hex64,
    arg_text,
    arg_uint,
    chaincode,
    reject,
)
from shared.domain.accounts import AccountType, is_system_account, treasury_country
from shared.domain.errors import ALREADY_EXISTS, INVALID_ARGUMENT, NOT_FOUND, NOT_REGISTERED

CONTRACT = "IdentityContract"
BASE_TRUST_SCORE = 10
MAX_AGE = 150  # the event schema's range (rules.md §7.4: the chain itself never checked it)


def biometric_key(stub: Stub, biometric_hash: str) -> str:
    return stub.key("biometric", biometric_hash)


def get_user(stub: Stub, user_id: str) -> dict[str, Any] | None:
    value = stub.get_json(ops.user_key(stub, user_id))
    return dict(value) if value else None


def require_user(stub: Stub, user_id: str) -> dict[str, Any]:
    user = get_user(stub, user_id)
    if user is None:
        reject(NOT_FOUND, f"user {user_id} does not exist")
    return user


@chaincode(CONTRACT, "CreateUser", roles=ANYONE)
def create_user(
    stub: Stub, user_id: str, biometric_hash: str, nationality: str, age: str
) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    uid = arg_text(user_id, "userID", max_len=128)
    if uid != uid.strip() or is_system_account(uid) or treasury_country(uid) is not None:
        reject(INVALID_ARGUMENT, f"userID {uid!r} is not a valid user id")
    bio = arg_hex64(biometric_hash, "biometricHash")
    country = arg_country(nationality, "nationality")
    years = arg_uint(age, "age")
    if years > MAX_AGE:
        reject(INVALID_ARGUMENT, f"age must be at most {MAX_AGE}")
    if not stub.get_json(ops.stats_key(stub, country)):
        reject(NOT_REGISTERED, f"country {country} is not registered (initialise it first)")
    if get_user(stub, uid) is not None or ops.get_account(stub, uid) is not None:
        reject(ALREADY_EXISTS, f"user {uid} already exists")
    if stub.get_json(biometric_key(stub, bio)):
        reject(ALREADY_EXISTS, "this biometric hash is already registered")
    now = stub.tx_timestamp.isoformat()
    user = {
        "userID": uid,
        "biometricHash": bio,
        "nationality": country,
        "age": years,
        "status": ops.ACTIVE,
        "trustScore": BASE_TRUST_SCORE,
        "genesisMinted": False,
        "createdAt": now,
    }
    stub.put_json(ops.user_key(stub, uid), user)
    stub.put_json(biometric_key(stub, bio), {"userID": uid})
    ops.open_account(stub, uid, AccountType.INDIVIDUAL, country=country)
    stub.set_event(
        "UserCreated",
        {"userID": uid, "biometricHash": bio, "nationality": country, "age": years,
         "status": ops.ACTIVE, "trustScore": BASE_TRUST_SCORE, "createdAt": now},
    )
    return {"userID": uid}


@chaincode(CONTRACT, "GetUser", roles=ANYONE, query=True)
def get_user_fn(stub: Stub, user_id: str) -> dict[str, Any]:
    user = require_user(stub, arg_text(user_id, "userID", max_len=128))
    account = ops.get_account(stub, user["userID"]) or {}
    return {
        **user,
        "frozen": bool(account.get("frozen")),
        "velocityTaxTimerStart": account.get("velocityTaxTimerStart"),
        "velocityTaxLastCheck": account.get("velocityTaxLastCheck"),
        "velocityTaxExempt": bool(account.get("velocityTaxExempt")),
    }


@chaincode(CONTRACT, "UserExists", roles=ANYONE, query=True)
def user_exists(stub: Stub, user_id: str) -> bool:
    return get_user(stub, user_id) is not None
