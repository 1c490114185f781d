"""Accounts and sessions: registration, login, refresh-token rotation, logout, profiles.

Invariants:
- passwords are stored only as argon2id hashes; refresh tokens only as SHA-256 digests;
- login checks the password before the account state (spec rules.md §9), and an unknown email
  costs the same hashing time as a wrong password;
- a refresh token works once: presenting it rotates it, and presenting an already rotated token
  (a replay, possibly by a thief) revokes the whole session;
- SUSPENDED and CLOSED accounts cannot log in or refresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from shared import audit, auth, db
from shared.api import as_uuid
from shared.config import get_settings
from shared.db.errors import UniqueViolation
from shared.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from shared.identity import passwords
from shared.identity.schemas import ProfilePatch, RegisterIn

LOCKOUT_AFTER = 10  # consecutive failed logins
LOCKOUT_MINUTES = 15
INACTIVE = frozenset({"SUSPENDED", "CLOSED"})
PROFILE_COLUMNS = (
    "profile_id, email, first_name, last_name, phone_num, identity_num, date_of_birth, gender,"
    " nationality_country_code, role, status, onchain_status, fabric_user_id, created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    profile: dict[str, Any]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _unique_conflict(exc: UniqueViolation) -> Conflict:
    if exc.constraint and "phone" in exc.constraint:
        return Conflict("this phone number is already registered", code="PHONE_TAKEN")
    return Conflict("an account with this email already exists", code="EMAIL_TAKEN")


# --- registration and profiles ----------------------------------------------------------------


def register(data: RegisterIn) -> dict[str, Any]:
    problems = passwords.policy_problems(data.password)
    if problems:
        raise ValidationFailed(
            "password does not meet the rules",
            errors=[{"field": "password", "message": f"needs {p}", "type": "password_policy"}
                    for p in problems],
        )
    password_hash = passwords.hash_password(data.password)
    try:
        with db.transaction() as conn:
            if conn.execute(
                "SELECT 1 FROM countries WHERE country_code = %s", (data.nationality_country_code,)
            ).fetchone() is None:
                raise ValidationFailed(
                    "unknown nationality",
                    errors=[{"field": "nationalityCountryCode", "message": "not a known country",
                             "type": "unknown_country"}],
                )
            row = conn.execute(
                f"INSERT INTO user_profiles (tenant_id, email, password_hash, first_name, last_name,"
                f" phone_num, identity_num, date_of_birth, gender, nationality_country_code)"
                f" VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING {PROFILE_COLUMNS}",
                (
                    get_settings().tenant, data.email, password_hash, data.first_name,
                    data.last_name, data.phone_num, data.identity_num, data.date_of_birth,
                    data.gender, data.nationality_country_code,
                ),
            ).fetchone()
    except UniqueViolation as exc:
        raise _unique_conflict(exc) from None
    assert row is not None
    return row


def get_profile(profile_id: str) -> dict[str, Any]:
    row = _profile(profile_id)
    if row is None:
        raise NotFound("user not found", code="USER_NOT_FOUND")
    return row


def _profile(profile_id: str) -> dict[str, Any] | None:
    profile_id = as_uuid(profile_id)
    if profile_id is None:
        return None
    return db.fetch_one(
        f"SELECT {PROFILE_COLUMNS} FROM user_profiles"
        " WHERE profile_id = %s AND deleted_at IS NULL",
        (profile_id,),
    )


def update_profile(profile_id: str, patch: ProfilePatch) -> dict[str, Any]:
    fields = {name: getattr(patch, name) for name in patch.model_fields_set}
    columns = ", ".join(f"{name} = %({name})s" for name in sorted(fields))
    try:
        row = db.fetch_one(
            f"UPDATE user_profiles SET {columns} WHERE profile_id = %(pid)s AND deleted_at IS NULL"
            f" RETURNING {PROFILE_COLUMNS}",
            {**fields, "pid": profile_id},
        )
    except UniqueViolation as exc:
        raise _unique_conflict(exc) from None
    if row is None:
        raise NotFound("user not found", code="USER_NOT_FOUND")
    return row


def create_account(
    *, email: str, password: str, role: str, first_name: str, last_name: str,
    conn: psycopg.Connection[Any] | None = None, provisioned_by: str | None = None,
) -> dict[str, Any]:
    """An operator-provisioned account (bootstrap admin, partner): ACTIVE at once, no KYC.
    Audited on the same transaction (ACCOUNT_PROVISIONED), with `provisioned_by` as the actor:
    an operator outside the API has no contract to do it."""
    problems = passwords.policy_problems(password)
    if problems:
        raise ValidationFailed("password does not meet the rules: needs " + ", ".join(problems))
    sql = (
        f"INSERT INTO user_profiles (tenant_id, email, password_hash, first_name, last_name, role,"
        f" status) VALUES (%s, lower(%s), %s, %s, %s, %s, 'ACTIVE') RETURNING {PROFILE_COLUMNS}"
    )
    params = (get_settings().tenant, email, passwords.hash_password(password), first_name,
              last_name, role)
    try:
        with db.transaction() if conn is None else _joined(conn) as tx:
            row = tx.execute(sql, params).fetchone()
            assert row is not None
            audit.record(tx, event_type="ACCOUNT_PROVISIONED", actor_id=provisioned_by,
                         actor_role="OPERATOR", target_type="USER",
                         target_id=str(row["profile_id"]),
                         after={"email": row["email"], "role": row["role"]})
    except UniqueViolation as exc:
        raise _unique_conflict(exc) from None
    return dict(row)


@contextlib.contextmanager
def _joined(conn: psycopg.Connection[Any]) -> Iterator[psycopg.Connection[Any]]:
    yield conn


# --- login, refresh, logout -------------------------------------------------------------------


def login(email: str, password: str, *, ip: str | None, user_agent: str | None) -> Tokens:
    row = db.fetch_one(
        f"SELECT {PROFILE_COLUMNS}, password_hash, failed_login_count,"
        " locked_until > now() AS locked"
        " FROM user_profiles WHERE lower(email) = lower(%s) AND deleted_at IS NULL",
        (email,),
    )
    if row is None or row["password_hash"] is None:
        passwords.verify_password(passwords.dummy_hash(), password)  # same cost as a real miss
        raise Unauthorized("invalid email or password", code="INVALID_CREDENTIALS")
    if row["locked"]:
        raise Unauthorized(
            "too many failed attempts; try again later", code="ACCOUNT_LOCKED"
        )
    if not passwords.verify_password(row["password_hash"], password):
        db.execute(
            "UPDATE user_profiles SET failed_login_count = failed_login_count + 1,"
            " locked_until = CASE WHEN failed_login_count + 1 >= %s"
            "   THEN now() + make_interval(mins => %s) ELSE locked_until END"
            " WHERE profile_id = %s",
            (LOCKOUT_AFTER, LOCKOUT_MINUTES, row["profile_id"]),
        )
        raise Unauthorized("invalid email or password", code="INVALID_CREDENTIALS")
    if row["status"] in INACTIVE:
        raise Unauthorized(
            "account is inactive; please contact support", code="ACCOUNT_INACTIVE"
        )
    rehash = passwords.needs_rehash(row["password_hash"])
    with db.transaction() as conn:
        conn.execute(
            "UPDATE user_profiles SET failed_login_count = 0, locked_until = NULL"
            + (", password_hash = %s" if rehash else "")
            + " WHERE profile_id = %s",
            ((passwords.hash_password(password),) if rehash else ()) + (row["profile_id"],),
        )
        return _open_session(conn, row, ip=ip, user_agent=user_agent)


def _open_session(
    conn: psycopg.Connection[Any], profile: dict[str, Any], *, ip: str | None,
    user_agent: str | None,
) -> Tokens:
    session_id = str(uuid.uuid4())
    refresh, claims = auth.issue(
        sub=str(profile["profile_id"]), role=profile["role"], typ="refresh", session_id=session_id
    )
    digest = token_hash(refresh)
    conn.execute(
        "INSERT INTO user_sessions (session_id, tenant_id, profile_id, refresh_token_hash,"
        " refresh_jti, ip_address, user_agent, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, to_timestamp(%s))",
        (session_id, get_settings().tenant, profile["profile_id"], digest, claims["jti"],
         _inet(ip), (user_agent or "")[:500], claims["exp"]),
    )
    conn.execute(
        "INSERT INTO session_refresh_tokens (token_hash, tenant_id, session_id, jti, expires_at)"
        " VALUES (%s, %s, %s, %s, to_timestamp(%s))",
        (digest, get_settings().tenant, session_id, claims["jti"], claims["exp"]),
    )
    access, _ = auth.issue(
        sub=str(profile["profile_id"]), role=profile["role"], typ="access", session_id=session_id
    )
    return Tokens(access, refresh, get_settings().access_token_ttl_s, _public(profile))


def refresh(token: str) -> Tokens:
    claims = auth.decode(token, typ="refresh")  # signature, expiry, iss, aud, typ
    digest = token_hash(token)
    with db.transaction() as conn:
        known = conn.execute(
            "SELECT t.session_id, t.used_at IS NOT NULL AS used, s.status, s.expires_at < now()"
            " AS expired, p.profile_id, p.role, p.status AS user_status"
            " FROM session_refresh_tokens t JOIN user_sessions s USING (session_id)"
            " JOIN user_profiles p ON p.profile_id = s.profile_id"
            " WHERE t.token_hash = %s FOR UPDATE OF s",
            (digest,),
        ).fetchone()
        if known is None or str(known["profile_id"]) != claims["sub"]:
            raise Unauthorized("invalid refresh token", code="INVALID_TOKEN")
        if known["status"] != "ACTIVE" or known["expired"]:
            raise Unauthorized("session has ended; log in again", code="SESSION_ENDED")
        if known["used"]:
            _revoke(conn, known["session_id"], "REVOKED", "REFRESH_TOKEN_REUSE")
            reused = True
        else:
            reused = False
    if reused:  # committed: the replay has ended the session for everyone holding it
        raise Unauthorized("refresh token was already used; session revoked",
                           code="REFRESH_TOKEN_REUSED")
    if known["user_status"] in INACTIVE:
        raise Unauthorized("account is inactive; please contact support", code="ACCOUNT_INACTIVE")
    with db.transaction() as conn:
        session_id = str(known["session_id"])
        new_refresh, new_claims = auth.issue(
            sub=claims["sub"], role=known["role"], typ="refresh", session_id=session_id
        )
        new_digest = token_hash(new_refresh)
        rotated = conn.execute(
            "UPDATE session_refresh_tokens SET used_at = now(), replaced_by = %s"
            " WHERE token_hash = %s AND used_at IS NULL",
            (new_digest, digest),
        ).rowcount
        if rotated != 1:  # a concurrent refresh with the same token won the race
            raise Unauthorized("refresh token was already used", code="REFRESH_TOKEN_REUSED")
        conn.execute(
            "INSERT INTO session_refresh_tokens (token_hash, tenant_id, session_id, jti, expires_at)"
            " VALUES (%s, %s, %s, %s, to_timestamp(%s))",
            (new_digest, get_settings().tenant, session_id, new_claims["jti"], new_claims["exp"]),
        )
        conn.execute(
            "UPDATE user_sessions SET refresh_token_hash = %s, refresh_jti = %s,"
            " last_used_at = now(), expires_at = to_timestamp(%s) WHERE session_id = %s",
            (new_digest, new_claims["jti"], new_claims["exp"], session_id),
        )
    access, _ = auth.issue(sub=claims["sub"], role=known["role"], typ="access",
                           session_id=session_id)
    return Tokens(access, new_refresh, get_settings().access_token_ttl_s, {})


def logout(token: str) -> None:
    """End the session the refresh token belongs to (any of its tokens, used or not)."""
    auth.decode(token, typ="refresh")
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT session_id FROM session_refresh_tokens WHERE token_hash = %s",
            (token_hash(token),),
        ).fetchone()
        if row is None:
            raise Unauthorized("invalid refresh token", code="INVALID_TOKEN")
        _revoke(conn, row["session_id"], "LOGGED_OUT", "LOGOUT")


def _revoke(conn: psycopg.Connection[Any], session_id: Any, status: str, reason: str) -> None:
    conn.execute(
        "UPDATE user_sessions SET status = %s, revoked_at = now(), revoked_reason = %s"
        " WHERE session_id = %s AND status = 'ACTIVE'",
        (status, reason, session_id),
    )


def _public(profile: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in profile.items()
            if k not in ("password_hash", "failed_login_count", "locked")}


def _inet(ip: str | None) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        return None


def age(dob: date, today: date | None = None) -> int:
    from shared.identity.fabric_id import age_on

    return age_on(dob, today or date.today())
