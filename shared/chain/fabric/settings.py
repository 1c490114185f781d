"""Fabric Gateway settings: every `GX_FABRIC_*` variable, checked before the first call.

Read only when GX_LEDGER=fabric (`FabricLedger.from_settings()`), so an embedded deployment never
needs them. `load()` validates the values and reads every file (TLS CA, certificates, keys) once;
a missing or unreadable file fails the process at start with a message naming its variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.chain.port import ServiceIdentity
from shared.config import ConfigError

#: The per-role file settings, in the order an operator lists them.
ROLE_PREFIX = {
    ServiceIdentity.SUPER_ADMIN: "super_admin",
    ServiceIdentity.ADMIN: "admin",
    ServiceIdentity.PARTNER_API: "partner_api",
}


class FabricSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GX_FABRIC_", extra="ignore", frozen=True)

    peer_endpoint: str = Field("", description="Gateway peer host:port, e.g. peer0.org1:7051.")
    tls_ca_path: str = Field("", description="PEM of the CA that signed the peer's TLS cert.")
    tls_server_name: str = Field("", description="TLS name override when the endpoint is an IP.")
    tls_enabled: bool = Field(True, description="Off only for a plaintext local gateway.")
    msp_id: str = Field("", description="The MSP id of the backend's organisation.")
    super_admin_cert_path: str = ""
    super_admin_key_path: str = ""
    admin_cert_path: str = ""
    admin_key_path: str = ""
    partner_api_cert_path: str = ""
    partner_api_key_path: str = ""
    evaluate_timeout_s: float = Field(5.0, gt=0)
    endorse_timeout_s: float = Field(15.0, gt=0)
    submit_timeout_s: float = Field(5.0, gt=0)
    commit_timeout_s: float = Field(60.0, gt=0)
    lookup_timeout_s: float = Field(3.0, gt=0, description="CommitStatus wait of a tx lookup.")
    events_idle_s: float = Field(
        0.5, gt=0, description="events(): stop reading the stream after this long without data."
    )
    keepalive_s: float = Field(
        60.0, ge=1,
        # A Fabric peer answers pings more frequent than its keepalive.minInterval (60 s by
        # default) with GOAWAY too_many_pings, so never ping faster than the peer allows.
        description="gRPC keepalive ping interval; >= the peer's keepalive.minInterval.",
    )
    breaker_failures: int = Field(3, ge=1, description="Consecutive outages that open the breaker.")
    breaker_reset_s: float = Field(5.0, gt=0, description="Open time before one trial call.")


@dataclass(frozen=True)
class RoleFiles:
    cert_pem: bytes
    key_pem: bytes


@dataclass(frozen=True)
class FabricConfig:
    """Validated settings with the files' contents."""

    settings: FabricSettings
    channel: str
    chaincode: str
    tls_ca_pem: bytes | None
    roles: dict[ServiceIdentity, RoleFiles]


def _read(var: str, path: str) -> bytes:
    env = f"GX_FABRIC_{var.upper()}"
    if not path:
        raise ConfigError(f"{env} is required when GX_LEDGER=fabric")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{env}: cannot read {path!r}: {exc.strerror or exc}") from None
    if b"-----BEGIN" not in data:
        raise ConfigError(f"{env}: {path!r} is not a PEM file")
    return data


def load(settings: FabricSettings | None = None) -> FabricConfig:
    """Validate the GX_FABRIC_* settings and read their files; ConfigError names the variable.

    The channel and chaincode are the backend's GX_CHANNEL / GX_CHAINCODE (shared.config), the
    same names the chain listener puts in every CloudEvent's source.
    """
    from shared.config import get_settings

    gx = get_settings()
    if settings is None:
        try:
            settings = FabricSettings()
        except ValidationError as exc:
            problems = "; ".join(
                f"GX_FABRIC_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigError(problems) from None
    for var in ("peer_endpoint", "msp_id"):
        if not getattr(settings, var).strip():
            raise ConfigError(f"GX_FABRIC_{var.upper()} is required when GX_LEDGER=fabric")
    for var in ("channel", "chaincode"):
        if not getattr(gx, var).strip():
            raise ConfigError(f"GX_{var.upper()} is required when GX_LEDGER=fabric")
    host, _, port = settings.peer_endpoint.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"GX_FABRIC_PEER_ENDPOINT must be host:port, got {settings.peer_endpoint!r}")
    tls_ca = _read("tls_ca_path", settings.tls_ca_path) if settings.tls_enabled else None
    roles: dict[ServiceIdentity, RoleFiles] = {}
    for identity, prefix in ROLE_PREFIX.items():
        cert = _read(f"{prefix}_cert_path", getattr(settings, f"{prefix}_cert_path"))
        key = _read(f"{prefix}_key_path", getattr(settings, f"{prefix}_key_path"))
        roles[identity] = RoleFiles(cert, key)
    return FabricConfig(settings, gx.channel.strip(), gx.chaincode.strip(), tls_ca, roles)
