"""The shape of one registry entry. Pure data: importing it does no I/O."""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

Auth = Literal["public", "user", "admin", "super_admin", "partner"]

_ROLES: dict[str, frozenset[str]] = {
    "public": frozenset(),
    "user": frozenset({"USER", "ADMIN", "SUPER_ADMIN", "PARTNER_API"}),
    "admin": frozenset({"ADMIN", "SUPER_ADMIN"}),
    "super_admin": frozenset({"SUPER_ADMIN"}),
    "partner": frozenset({"PARTNER_API", "ADMIN", "SUPER_ADMIN"}),
}
_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


class RateLimitSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    limit: int = Field(ge=1)
    window_s: int = Field(60, ge=1)
    key: Literal["ip", "principal"] = "ip"
    strict: bool = False


class Scale(BaseModel):
    model_config = ConfigDict(frozen=True)
    min: int = 0
    max: int = 10
    concurrency: int = 16  # Knative containerConcurrency = gunicorn workers x threads
    target_utilization: int = 70


class Resources(BaseModel):
    model_config = ConfigDict(frozen=True)
    cpu_request: str = "100m"
    memory_request: str = "128Mi"
    cpu_limit: str = "1"
    memory_limit: str = "512Mi"


class Delivery(BaseModel):
    """How the broker delivers to a CloudEvent handler: retries with exponential backoff
    (backoff_delay_s x 2^attempt), then the dead-letter sink (Knative `DeliverySpec`)."""

    model_config = ConfigDict(frozen=True)
    retry: int = Field(5, ge=1, le=20)
    backoff_delay_s: float = Field(0.5, gt=0, le=60)


class AuditSpec(BaseModel):
    """What the audit record of a staff member's successful call names (`shared.audit_calls`
    writes it, one per call). Every non-GET route a staff member can call needs one; a GET route
    is audited only when it declares one."""

    model_config = ConfigDict(frozen=True)
    target_type: str = Field(pattern=r"^[A-Z][A-Z_]*$", description="USER, KYC, LOAN, SYSTEM, ...")
    target: str | None = Field(
        None, pattern=r"^((path|body|reply|const):[A-Za-z0-9_*-]+|principal)$",
        description="where the target id comes from: a path parameter, a JSON body field, a"
        " reply field, a constant, or the caller; None for the whole system",
    )
    action: str | None = Field(
        None, pattern=r"^[A-Z][A-Z0-9_]*$", description="the record's event type (default: the"
        " function name upper-cased)",
    )
    before: str | None = Field(
        None, description="'module:function' (conn, target id) -> the target's state before"
    )
    reply: tuple[str, ...] = Field(
        (), description="reply fields kept in the record ('items[].commandId' maps a list);"
        " commands always keep commandId",
    )


class FunctionSpec(BaseModel):
    """One deployable function: an HTTP endpoint, an event handler, or a scheduled job."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="target = file stem")
    service: str = Field(pattern=r"^[a-z]+$", description="folder under functions/")
    kind: Literal["http", "cloudevent"]
    summary: str
    # HTTP
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    path: str | None = None
    auth: Auth = "public"
    owner_param: str | None = Field(
        None, description="path parameter that must be the caller's own id (admins exempt)"
    )
    rate_limit: RateLimitSpec | None = None
    command: bool = Field(False, description="accepts Idempotency-Key; answers 202 + Location")
    request_model: str | None = Field(None, description="'module:Class' of the JSON body")
    query_model: str | None = None
    response_model: str | None = None
    response_status: int = 200
    content_types: tuple[str, ...] = ("application/json",)
    max_body_bytes: int | None = None
    tags: tuple[str, ...] = ()
    audit: AuditSpec | None = None
    # CloudEvent
    event_types: tuple[str, ...] = ()
    schedule: str | None = Field(None, description="cron for a PingSource that triggers this")
    # deployment
    issues_tokens: bool = False
    scale: Scale = Scale()
    resources: Resources = Resources()
    timeout_s: int = 30
    delivery: Delivery = Delivery()
    replica_reads: bool | None = Field(
        None,
        description="read projections from the read-only pooler (GX_DATABASE_READ_URL); default:"
        " public and user GET endpoints. False where a caller must read its own write at once.",
    )

    @property
    def reads_replica(self) -> bool:
        """Whether this function's plain reads may go to a replica (eventually consistent, as
        projections already are). Admin reads stay on the primary: operators act on them."""
        if self.replica_reads is not None:
            return self.replica_reads
        return self.kind == "http" and self.method == "GET" and self.auth not in {
            "admin", "super_admin",
        }  # fmt: skip

    @computed_field  # type: ignore[prop-decorator]
    @property
    def source(self) -> str:
        return f"functions/{self.service}/{self.name}.py"

    @property
    def module(self) -> str:
        return f"functions.{self.service}.{self.name}"

    @property
    def service_name(self) -> str:
        return self.name.replace("_", "-")

    @property
    def roles(self) -> frozenset[str]:
        return _ROLES[self.auth]

    @property
    def audited(self) -> bool:
        """Whether a staff member's successful call writes an audit record: every non-GET route
        that takes a caller, and a GET route that declares `audit`."""
        return self.kind == "http" and self.auth != "public" and (
            self.method != "GET" or self.audit is not None)

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path or ""))

    @functools.cached_property
    def path_regex(self) -> re.Pattern[str]:
        assert self.path is not None
        parts = _PARAM.split(self.path)  # literal, name, literal, name, ...
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
        )
        return re.compile(f"^{pattern}/?$")

    def match(self, path: str) -> dict[str, str] | None:
        m = self.path_regex.match(path)
        return m.groupdict() if m else None


@functools.cache
def resolve(ref: str) -> Any:
    """The object named by 'package.module:Name'."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)
