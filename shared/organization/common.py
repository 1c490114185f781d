"""What the organization, loan pool, governance and relationship services share.

- `actor`/`user_ref`: the caller or a named user as the chain knows them (their on-chain id), from
  the profiles read model, refusing anyone who is not an ACTIVE user registered on chain;
- `refusal`: a pure rule's `RuleViolation` (shared.domain) as the HTTP error it means, with the
  rule's own reason as the stable code, so the pre-check answers exactly what the chain would;
- `one_time_key`: the outbox request id of an action a user may take once (endorse, approve,
  vote, execute, ...). The id is a business key, so two concurrent requests meet on the outbox's
  unique request id and only one command exists; a rejected or dead attempt does not block a
  later one (the next key is chained to the failed command's id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

from shared import db
from shared.api import as_uuid
from shared.auth import Principal
from shared.config import get_settings
from shared.domain import errors as rule_errors
from shared.errors import Conflict, Forbidden, GXError, NotFound, ValidationFailed
from shared.outbox import Command, Enqueued, enqueue
from shared.unit_of_work import command_transaction

#: Outbox statuses after which a one-time action may be asked for again.
_FINISHED_UNSUCCESSFULLY = frozenset({"REJECTED", "DEAD"})
_MAX_CHAIN = 100


def tenant() -> str:
    return get_settings().tenant


@dataclass(frozen=True, slots=True)
class Actor:
    """A user as both sides know them."""

    profile_id: str
    chain_id: str
    role: str
    country: str | None


_USER_SQL = (
    "SELECT profile_id, fabric_user_id, nationality_country_code, status, role"
    " FROM user_profiles WHERE deleted_at IS NULL AND tenant_id = %s AND "
)


def find_user(ref: str) -> dict[str, Any] | None:
    """The profile behind a profile id or an on-chain user id."""
    profile_id = as_uuid(ref)
    if profile_id is not None:
        row = db.fetch_one(_USER_SQL + "profile_id = %s", (tenant(), profile_id))
        if row is not None:
            return row
    return db.fetch_one(_USER_SQL + "fabric_user_id = %s", (tenant(), ref))


def _actor(row: dict[str, Any]) -> Actor:
    return Actor(str(row["profile_id"]), row["fabric_user_id"], row["role"],
                 row["nationality_country_code"])


def actor(principal: Principal) -> Actor:
    """The caller, who must be ACTIVE and registered on chain (rules.md §7.1)."""
    row = find_user(principal.sub) if as_uuid(principal.sub) else None
    if row is None:
        raise NotFound("your profile was not found", code="USER_NOT_FOUND")
    if row["status"] != "ACTIVE" or row["fabric_user_id"] is None:
        raise Conflict("only ACTIVE accounts registered on chain can do this",
                       code="USER_NOT_ACTIVE")
    return _actor(row)


def user_ref(ref: str, *, field: str) -> Actor:
    """A named user (profile id or on-chain id) who is ACTIVE on chain; 422 naming `field`."""
    row = find_user(ref)
    if row is None or row["fabric_user_id"] is None:
        raise ValidationFailed(f"{ref} is not a user registered on chain", code="USER_NOT_FOUND",
                               errors=[{"field": field, "message": f"unknown user {ref}",
                                        "type": "unknown_user"}])
    if row["status"] != "ACTIVE":
        raise ValidationFailed(f"{ref} is not an ACTIVE user", code="USER_NOT_ACTIVE",
                               errors=[{"field": field, "message": f"user {ref} is not ACTIVE",
                                        "type": "inactive_user"}])
    return _actor(row)


def chain_id_of_profile(profile_id: str) -> str | None:
    """The on-chain id of a profile (None when the user is not on chain yet)."""
    row = find_user(profile_id) if as_uuid(profile_id) else None
    if row is None:
        raise NotFound("no such user", code="USER_NOT_FOUND")
    chain_id: str | None = row["fabric_user_id"]
    return chain_id


def chain_id_of(principal: Principal) -> str | None:
    """The caller's on-chain id; None when they have no profile or are not on chain yet."""
    row = find_user(principal.sub) if as_uuid(principal.sub) else None
    return row["fabric_user_id"] if row is not None else None


def is_chain_admin(chain_id: str) -> bool:
    """Whether the chain itself treats this user as an admin (appointed with AppointAdmin)."""
    return db.fetch_one("SELECT 1 FROM rm_chain_admins WHERE tenant_id = %s AND admin_id = %s",
                        (tenant(), chain_id)) is not None


def refusal(exc: rule_errors.RuleViolation, *, field: str | None = None) -> GXError:
    """The HTTP error a pure rule's refusal means; its `reason` becomes the stable code."""
    code = str(exc.fields.get("reason") or exc.code)
    # Problem documents are camelCase like every other reply.
    details = {to_camel(k): v for k, v in exc.fields.items() if k != "reason"}
    if isinstance(exc, rule_errors.NotAuthorized):
        return Forbidden(exc.message, code=code, **details)
    if isinstance(exc, (rule_errors.InvalidState, rule_errors.AlreadyExists)):
        return Conflict(exc.message, code=code, **details)
    if isinstance(exc, rule_errors.NotFound):
        return NotFound(exc.message, code=code, **details)
    errors = [{"field": field, "message": exc.message, "type": code.lower()}] if field else None
    return ValidationFailed(exc.message, code=code, errors=errors, **details)


def one_time_key(base: str) -> tuple[str, dict[str, Any] | None]:
    """(request id to use, the open or confirmed command already holding it, if any)."""
    key = base
    for _ in range(_MAX_CHAIN):
        row = db.fetch_one(
            "SELECT id, status FROM outbox_commands WHERE tenant_id = %s AND request_id = %s",
            (tenant(), key))
        if row is None:
            return key, None
        if row["status"] not in _FINISHED_UNSUCCESSFULLY:
            return key, row
        key = f"{base}#{row['id']}"
    raise Conflict("too many failed attempts at this action", code="TOO_MANY_ATTEMPTS")


def queue(source: str, caller: Principal, command_type: str, payload: dict[str, Any],
          request_id: str) -> Enqueued:
    """Put one command in the outbox for `caller` (announced after commit)."""
    with command_transaction(source) as conn:
        return enqueue(conn, Command(type=command_type, payload=payload, request_id=request_id,
                                     principal_id=caller.sub, service=source))


def queue_once(source: str, caller: Principal, command_type: str, payload: dict[str, Any],
               base_key: str, *, code: str, message: str) -> Enqueued:
    """A once-only action: 409 `code` when the same action is already queued or done."""
    key, existing = one_time_key(base_key)
    if existing is not None:
        raise Conflict(message, code=code, commandId=existing["id"])
    command = queue(source, caller, command_type, payload, key)
    if not command.created:  # a concurrent request took the key first
        raise Conflict(message, code=code, commandId=command.id)
    return command
