"""Fixtures: a test PKI, the local TLS Fabric Gateway (scripted) and a FabricLedger against it.

The chaincode's role checks come from the real command catalogue: every command type's contract
function requires the service identity the catalogue names for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from shared.chain.catalogue import commands
from shared.chain.fabric import FabricLedger, FabricSettings
from shared.chain.fabric.breaker import CircuitBreaker
from shared.chain.fabric.identity import SigningIdentity
from shared.chain.fabric.txlog import TxLog
from shared.chain.port import ServiceIdentity
from tests.integration.fabric.gateway import Chain, GatewayServer, Script
from tests.integration.fabric.pki import MSP_ID, Issued, TestPKI

CHANNEL, CHAINCODE = "gxchannel", "gxtv3"

FAST = FabricSettings(
    evaluate_timeout_s=2, endorse_timeout_s=2, submit_timeout_s=2, commit_timeout_s=5,
    lookup_timeout_s=0.5, events_idle_s=0.3, breaker_failures=2, breaker_reset_s=0.5,
)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI()


@pytest.fixture(scope="module")
def issued(pki: TestPKI) -> dict[ServiceIdentity, Issued]:
    return pki.identities()


@pytest.fixture
def script() -> Script:
    roles = {(c.contract, c.function): c.identity.value for c in commands().values()}
    roles[("AdminContract", "UpdateSystemParameter")] = ServiceIdentity.ADMIN.value
    return Script(roles=roles)


@pytest.fixture
def chain() -> Iterator[Chain]:
    chain = Chain(CHAINCODE)
    yield chain
    chain.close()


@pytest.fixture
def gateway(pki: TestPKI, chain: Chain, script: Script) -> Iterator[GatewayServer]:
    server = GatewayServer(pki, chain, script, CHANNEL)
    server.start()
    yield server
    server.stop()


def make_ledger(gateway: GatewayServer, issued: dict[ServiceIdentity, Issued], pki: TestPKI,
                dsn: str | None = None, settings: FabricSettings = FAST) -> FabricLedger:
    identities = {i: SigningIdentity.from_pem(MSP_ID, f.cert_pem, f.key_pem) for i, f in issued.items()}
    return FabricLedger(
        endpoint=gateway.endpoint, identities=identities, channel=CHANNEL, chaincode=CHAINCODE,
        tls_ca_pem=pki.ca_pem, settings=settings, txlog=TxLog(dsn or os.environ["GX_DATABASE_URL"]),
        breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_reset_s),
    )


@pytest.fixture
def ledger(gateway: GatewayServer, issued: dict[ServiceIdentity, Issued],
           pki: TestPKI) -> Iterator[FabricLedger]:
    ledger = make_ledger(gateway, issued, pki)
    yield ledger
    ledger.close()
