"""Helpers for tests of the embedded chain: a steerable block clock and a `Chain` driver.

`Chain` submits one call per transaction with a fresh transaction id and the identity the call
needs, and has shortcuts for the bootstrap order (BootstrapSystem -> InitializeCountryData ->
CreateUser -> DistributeGenesis). Every committed event is checked against its JSON Schema here
as well as by the ledger, so a test that commits something also proves its event validates.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import events
from shared.chain.embedded import EmbeddedLedger
from shared.chain.port import Committed, ServiceIdentity, Submission
from shared.domain.accounts import POOL_ALLOCATIONS, treasury_id

SUPER = ServiceIdentity.SUPER_ADMIN
ADMIN = ServiceIdentity.ADMIN
PARTNER = ServiceIdentity.PARTNER_API

COUNTRIES = [
    {"code": "NG", "name": "Nigeria", "percentage": "0.03384748"},
    {"code": "US", "name": "United States", "percentage": "0.03194266"},
    {"code": "IN", "name": "India", "percentage": "0.13464767"},
]


class Clock:
    """The block clock: real time plus an offset a test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, days: float) -> None:
        self.offset += timedelta(days=days)


def new_tx_id() -> str:
    return secrets.token_hex(32)


def bio() -> str:
    return secrets.token_hex(32)


class Chain:
    def __init__(self, ledger: EmbeddedLedger, clock: Clock) -> None:
        self.ledger = ledger
        self.clock = clock

    def submission(self, contract: str, function: str, *args: Any,
                   identity: ServiceIdentity = SUPER, tx_id: str | None = None) -> Submission:
        return Submission(contract, function, [str(a) for a in args], tx_id or new_tx_id(), identity)

    def call(self, contract: str, function: str, *args: Any,
             identity: ServiceIdentity = SUPER, tx_id: str | None = None) -> Committed:
        committed = self.ledger.submit(
            self.submission(contract, function, *args, identity=identity, tx_id=tx_id)
        )
        assert committed.event is not None
        events.validate(committed.event.name, committed.event.payload)
        return committed

    def query(self, contract: str, function: str, *args: Any,
              identity: ServiceIdentity = PARTNER) -> Any:
        return self.ledger.evaluate(contract, function, [str(a) for a in args], identity)

    # --- shortcuts ---------------------------------------------------------------------------
    def bootstrap(self, countries: list[dict[str, str]] | None = None) -> None:
        self.call("AdminContract", "BootstrapSystem")
        self.call("AdminContract", "InitializeCountryData", json.dumps(countries or COUNTRIES))

    def create_user(self, user_id: str | None = None, country: str = "NG", age: int = 30) -> str:
        uid = user_id or f"NG {secrets.token_hex(4).upper()}"
        self.call("IdentityContract", "CreateUser", uid, bio(), country, age, identity=PARTNER)
        return uid

    def funded_user(self, country: str = "NG", age: int = 30) -> str:
        uid = self.create_user(country=country, age=age)
        self.call("TokenomicsContract", "DistributeGenesis", uid, country, identity=ADMIN)
        return uid

    def balance(self, account_id: str) -> int:
        return int(self.query("TokenomicsContract", "GetBalance", account_id))

    def all_accounts(self) -> dict[str, int]:
        accounts = self.ledger.state_by_prefix("account\x1f")
        return {value["accountID"]: value["balance"] for value in accounts.values()}

    def total_supply(self) -> int:
        return sum(self.all_accounts().values())


__all__ = [
    "ADMIN",
    "COUNTRIES",
    "PARTNER",
    "POOL_ALLOCATIONS",
    "SUPER",
    "Chain",
    "Clock",
    "bio",
    "new_tx_id",
    "treasury_id",
]
