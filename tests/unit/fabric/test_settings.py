"""Acceptance 4: GX_LEDGER=fabric is validated at start; each error names its variable."""

from __future__ import annotations

import pytest

from shared.chain import port
from shared.chain.fabric import FabricLedger
from shared.chain.port import ServiceIdentity
from shared.config import ConfigError, get_settings
from tests.integration.fabric.pki import MSP_ID, TestPKI


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pki = TestPKI()
    values = pki.write(tmp_path, pki.identities())
    values.update(GX_FABRIC_PEER_ENDPOINT="peer0.gx.example:7051", GX_FABRIC_MSP_ID=MSP_ID)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_a_complete_configuration_builds_the_ledger_without_connecting(env) -> None:
    ledger = FabricLedger.from_settings()
    assert set(ledger.identities) == set(ServiceIdentity)
    assert ledger.channel == "gxchannel" and ledger.chaincode == "gxtv3"


def test_get_ledger_with_a_missing_certificate_path_fails_naming_the_setting(env, monkeypatch) -> None:
    monkeypatch.delenv("GX_FABRIC_ADMIN_CERT_PATH")
    monkeypatch.setenv("GX_LEDGER", "fabric")
    get_settings.cache_clear()
    port._ledger.cache_clear()
    try:
        with pytest.raises(ConfigError, match="GX_FABRIC_ADMIN_CERT_PATH is required"):
            port.get_ledger()
    finally:
        get_settings.cache_clear()
        port._ledger.cache_clear()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"GX_FABRIC_PARTNER_API_KEY_PATH": "/nonexistent/key.pem"}, "GX_FABRIC_PARTNER_API_KEY_PATH: cannot read"),
        ({"GX_FABRIC_TLS_CA_PATH": ""}, "GX_FABRIC_TLS_CA_PATH is required"),
        ({"GX_FABRIC_PEER_ENDPOINT": "no-port"}, "GX_FABRIC_PEER_ENDPOINT must be host:port"),
        ({"GX_FABRIC_MSP_ID": ""}, "GX_FABRIC_MSP_ID is required"),
        ({"GX_FABRIC_COMMIT_TIMEOUT_S": "0"}, "GX_FABRIC_COMMIT_TIMEOUT_S"),
    ],
)
def test_invalid_settings_name_their_variable(env, monkeypatch, change, message) -> None:
    for key, value in change.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError, match=message):
        FabricLedger.from_settings()


def test_a_key_of_another_certificate_is_refused_naming_both_settings(env, monkeypatch) -> None:
    monkeypatch.setenv("GX_FABRIC_ADMIN_KEY_PATH", env["GX_FABRIC_PARTNER_API_KEY_PATH"])
    with pytest.raises(ConfigError, match="GX_FABRIC_ADMIN_CERT_PATH / GX_FABRIC_ADMIN_KEY_PATH: "
                                          "the private key does not belong"):
        FabricLedger.from_settings()


def test_an_expired_certificate_is_refused_at_start(env, tmp_path, monkeypatch) -> None:
    expired = TestPKI().issue("old", role=ServiceIdentity.SUPER_ADMIN.value, expired=True)
    (tmp_path / "old.pem").write_bytes(expired.cert_pem)
    (tmp_path / "old.key").write_bytes(expired.key_pem)
    monkeypatch.setenv("GX_FABRIC_SUPER_ADMIN_CERT_PATH", str(tmp_path / "old.pem"))
    monkeypatch.setenv("GX_FABRIC_SUPER_ADMIN_KEY_PATH", str(tmp_path / "old.key"))
    with pytest.raises(ConfigError, match="GX_FABRIC_SUPER_ADMIN_CERT_PATH .*certificate expired"):
        FabricLedger.from_settings()
