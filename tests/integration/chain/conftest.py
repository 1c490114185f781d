"""Fixtures for the embedded chain: a ledger in a schema of its own per test, dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from shared.chain.embedded import EmbeddedLedger
from tests.integration.chain.support import Chain, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(clock: Clock) -> Iterator[EmbeddedLedger]:
    ledger = EmbeddedLedger(os.environ["GX_DATABASE_URL"], f"ledger_t_{secrets.token_hex(4)}",
                            clock=clock)
    try:
        yield ledger
    finally:
        ledger.drop()


@pytest.fixture
def chain(ledger: EmbeddedLedger, clock: Clock) -> Chain:
    return Chain(ledger, clock)


@pytest.fixture
def booted(chain: Chain) -> Chain:
    """A chain after BootstrapSystem and InitializeCountryData (NG, US, IN)."""
    chain.bootstrap()
    return chain
