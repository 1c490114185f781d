"""Settings: every `GX_*` environment variable, validated on first use.

The only module that reads the environment. A bad value fails with a message that names the
variable, so a misconfigured function refuses to serve instead of failing on its first request.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["USER", "ADMIN", "SUPER_ADMIN", "PARTNER_API"]


class ConfigError(RuntimeError):
    """A GX_* variable is missing or invalid; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GX_", extra="ignore", frozen=True)

    env: Literal["dev", "test", "prod"] = "dev"
    tenant: str = "default"

    # --- infrastructure -------------------------------------------------------------------
    database_url: str | None = Field(None, description="PostgreSQL URL (read models, outbox).")
    db_pool_min: int = Field(1, ge=0, le=64)
    db_pool_max: int = Field(8, ge=1, le=256)
    db_statement_timeout_ms: int = Field(15_000, ge=100)
    database_read_url: str | None = Field(
        None,
        description="Read-only PostgreSQL URL (a replica's pooler): plain reads outside a unit of"
        " work (db.fetch_one / fetch_all) go there; set only for query functions.",
    )
    db_transaction_pooling: bool = Field(
        False,
        description="Behind PgBouncer in transaction mode: no server-side prepared statements and"
        " no session SET (the statement timeout is then the database role's setting).",
    )
    redis_url: str | None = Field(None, description="Redis URL (rate limits, caches).")
    redis_sentinels: str = Field(
        "",
        description="Comma-separated host:port of Redis Sentinels; set, they name the master"
        " (GX_REDIS_SENTINEL_MASTER) and GX_REDIS_URL is not used.",
    )
    redis_sentinel_master: str = Field("gx", description="The master's name in Sentinel.")
    redis_password: str | None = Field(None, description="The data nodes' password (Sentinel).")
    redis_db: int = Field(0, ge=0, le=15, description="Database number (Sentinel mode).")
    redis_prefix: str = Field("gx:", description="Key prefix, so test runs never collide.")
    s3_endpoint: str | None = Field(None, description="S3 endpoint host:port (KYC documents).")
    s3_access_key: str | None = Field(None, description="S3 access key (no default in code).")
    s3_secret_key: str | None = Field(None, description="S3 secret key (no default in code).")
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_bucket: str = "gx-kyc-documents"
    audit_anchor_bucket: str = Field(
        "gx-audit-anchors", description="S3 bucket of the audit chain's anchors (its own, so it"
        " can be write-once: object lock or versioning)."
    )
    audit_anchor_prefix: str = Field(
        "audit-chain", min_length=1, description="Key prefix of this database's anchors."
    )

    # --- ledger ---------------------------------------------------------------------------
    ledger: Literal["embedded", "fabric"] = "embedded"
    ledger_database_url: str | None = Field(
        None, description="PostgreSQL URL of the embedded ledger (defaults to GX_DATABASE_URL)."
    )
    ledger_schema: str = Field("ledger", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    channel: str = "gxchannel"
    chaincode: str = "gxtv3"

    # --- outbox ---------------------------------------------------------------------------
    outbox_max_attempts: int = Field(5, ge=1, le=50, description="Counted attempts before DEAD.")
    outbox_backoff_base_s: float = Field(1.0, gt=0, description="First retry delay (doubles).")
    outbox_backoff_cap_s: float = Field(16.0, gt=0, description="Longest retry delay.")
    outbox_lease_s: float = Field(
        10.0, ge=3, le=60,
        description="Claim lease, renewed every third of it while a batch is being submitted; "
        "a crashed worker's commands are claimable again at most this long after the crash.",
    )
    outbox_batch_size: int = Field(100, ge=1, le=1000, description="Commands per ledger batch.")
    outbox_sweep_budget_s: float = Field(
        50.0, gt=0, description="How long one sweep_outbox tick may drain."
    )

    # --- eventing -------------------------------------------------------------------------
    broker_url: str | None = Field(
        None, description="Where functions post CloudEvents (the Knative broker ingress)."
    )

    # --- HTTP -----------------------------------------------------------------------------
    port: int = Field(8080, ge=1, le=65535)
    events_port: int = Field(8081, ge=1, le=65535)
    broker_port: int = Field(8082, ge=1, le=65535)
    metrics_port: int = Field(
        9090, ge=0, le=65535,
        description="Prometheus /metrics, served by the server process, never on the public "
        "port (0: not served).",
    )
    workers: int = Field(2, ge=1, le=64)
    threads: int = Field(8, ge=1, le=256)
    allowed_origins: str = Field("", description="Comma-separated CORS origins; empty = none.")
    trusted_proxies: int = Field(
        0, ge=0, le=8, description="How many X-Forwarded-For hops to trust for the client IP."
    )
    client_ip_header: str | None = Field(
        None,
        description="A header the edge gateway overwrites with the client address (e.g."
        " X-Envoy-External-Address); read before X-Forwarded-For.",
    )
    max_body_bytes: int = Field(1_048_576, ge=1024)
    max_projection_lag: int = Field(50, ge=0)
    otlp_endpoint: str | None = Field(
        None, description="OTLP/HTTP collector base URL (e.g. http://otel-collector:4318): export"
        " OpenTelemetry spans of every command's trace; unset = trace ids in the logs only.",
    )
    pipeline_metrics: bool = Field(
        False, description="Serve the pipeline's state gauges (shared/pipeline_metrics.py) on the"
        " metrics port: one process per deployment (the dead-letter sink; `gx dev`).",
    )
    hot_read_cache_s: float = Field(
        1.0, ge=0, le=60, description="How long a process reuses the chain parameters and the"
        " pause flag on the command path (shared/hot_reads.py); 0 = read every time.",
    )

    # --- auth -----------------------------------------------------------------------------
    jwt_public_key: str | None = Field(None, description="PEM, or a path to a PEM file.")
    jwt_private_key: str | None = Field(None, description="PEM or path; token issuers only.")
    jwt_issuer: str = "gx-identity-service"
    jwt_audience: str = "gx-api"
    access_token_ttl_s: int = Field(900, ge=60, le=86_400)
    refresh_token_ttl_s: int = Field(7 * 86_400, ge=3_600)
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: str | None = None

    # --- dev runtime ----------------------------------------------------------------------
    home: Path = Field(Path(".gx"), description="Where `gx dev` keeps embedded servers' data.")
    bind: str = Field(
        "127.0.0.1", description="Address `gx dev` serves the public HTTP port on (GX_PORT)."
    )
    broker_retry: int = Field(
        5, ge=0, le=100, description="Delivery retries before dead-lettering (Knative `retry`)."
    )
    broker_backoff_policy: Literal["exponential", "linear"] = Field(
        "exponential", description="Knative `backoffPolicy` of the dev broker's deliveries."
    )
    broker_backoff_delay_s: float = Field(
        0.5, gt=0, le=3600, description="Knative `backoffDelay`: the first retry's delay."
    )
    broker_delivery_timeout_s: float = Field(
        30.0, gt=0, le=900, description="How long one delivery to a subscriber may take."
    )
    broker_workers: int = Field(
        16, ge=1, le=64, description="Concurrent delivery workers in the dev broker."
    )
    publish_timeout_s: float = Field(
        2.0, gt=0, le=60, description="Timeout of a best-effort emit to GX_BROKER_URL."
    )
    dev_restart_limit: int = Field(
        5, ge=0, le=100, description="Times `gx dev` restarts a child that died before giving up."
    )
    dev_stop_grace_s: float = Field(
        10.0, gt=0, le=120, description="SIGTERM-to-SIGKILL grace for `gx dev` children."
    )

    @field_validator(
        "database_url", "database_read_url", "ledger_database_url", "redis_url", "broker_url"
    )
    @classmethod
    def _strip(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    def require(self, name: str) -> str:
        """The value of an optional setting that this caller cannot do without."""
        value = getattr(self, name)
        if value in (None, ""):
            raise ConfigError(f"GX_{name.upper()} is not set")
        return str(value)

    @property
    def ledger_dsn(self) -> str:
        return self.ledger_database_url or self.require("database_url")

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(o.strip() for o in self.allowed_origins.split(",") if o.strip())


@functools.cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"GX_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from None


def reset_settings() -> None:
    """Forget the cached settings (tests and the dev runner change the environment)."""
    get_settings.cache_clear()
