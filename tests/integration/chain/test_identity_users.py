"""IdentityContract users: CreateUser, GetUser, UserExists."""

from __future__ import annotations

import pytest

from shared.chain.port import BusinessRejection
from tests.integration.chain.support import PARTNER, Chain, bio


def create(chain: Chain, *args: object) -> None:
    chain.call("IdentityContract", "CreateUser", *args, identity=PARTNER)


def refused(chain: Chain, code: str, *args: object) -> None:
    with pytest.raises(BusinessRejection) as info:
        create(chain, *args)
    assert info.value.code == code, info.value.message


def test_create_user_and_read_it_back(booted: Chain) -> None:
    hash_ = bio()
    committed = booted.call("IdentityContract", "CreateUser", "NG KKK DDD123 0ABCD 1234",
                            hash_.upper(), "ng", "29", identity=PARTNER)
    assert committed.result == {"userID": "NG KKK DDD123 0ABCD 1234"}
    assert committed.event is not None and committed.event.name == "UserCreated"
    assert committed.event.payload["biometricHash"] == hash_
    user = booted.query("IdentityContract", "GetUser", "NG KKK DDD123 0ABCD 1234")
    assert user["nationality"] == "NG" and user["age"] == 29 and user["status"] == "Active"
    assert user["trustScore"] == 10 and user["genesisMinted"] is False and user["frozen"] is False
    assert booted.query("IdentityContract", "UserExists", "NG KKK DDD123 0ABCD 1234") is True
    assert booted.query("IdentityContract", "UserExists", "nobody") is False
    assert booted.balance("NG KKK DDD123 0ABCD 1234") == 0


def test_create_user_rejections(booted: Chain) -> None:
    hash_ = bio()
    create(booted, "u1", hash_, "NG", "30")
    refused(booted, "ALREADY_EXISTS", "u1", bio(), "NG", "30")
    refused(booted, "ALREADY_EXISTS", "u2", hash_, "NG", "30")  # one user per biometric hash
    refused(booted, "NOT_REGISTERED", "u3", bio(), "FR", "30")  # gaps A25
    refused(booted, "INVALID_ARGUMENT", "u4", "abc", "NG", "30")
    refused(booted, "INVALID_ARGUMENT", "u4", "g" * 64, "NG", "30")
    refused(booted, "INVALID_ARGUMENT", "u4", bio(), "NGA", "30")
    refused(booted, "INVALID_ARGUMENT", "u4", bio(), "NG", "-1")
    refused(booted, "INVALID_ARGUMENT", "u4", bio(), "NG", "151")
    refused(booted, "INVALID_ARGUMENT", "u4", bio(), "NG", "3.5")
    refused(booted, "INVALID_ARGUMENT", "", bio(), "NG", "30")
    refused(booted, "INVALID_ARGUMENT", "SYSTEM_GX_POOL", bio(), "NG", "30")
    refused(booted, "INVALID_ARGUMENT", "treasury_NG", bio(), "NG", "30")
    with pytest.raises(BusinessRejection) as info:
        booted.query("IdentityContract", "GetUser", "nobody")
    assert info.value.code == "NOT_FOUND"
