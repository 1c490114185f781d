"""Admin use cases: each command is validated, checked against the read models and put in the
outbox in one transaction; the chain makes the final decision. Each call's audit record is written
on that transaction from its contract (`shared.audit_calls`).

Request ids: one-time operations use business keys so they can never be queued twice
(`bootstrap`, `init-countries:<codes digest>`, `activate-treasury:<CC>`); repeatable ones use the
caller's idempotency key.
"""

from __future__ import annotations

import hashlib
from decimal import ROUND_DOWN, Decimal
from typing import Any

from shared import db, pagination
from shared.admin.schemas import (
    ActivateTreasuryIn,
    AppointAdminIn,
    InitializeCountriesIn,
    PauseIn,
    UpdateParameterIn,
)
from shared.auth import Principal
from shared.config import get_settings
from shared.domain import parameters
from shared.domain.accounts import TOTAL_SUPPLY
from shared.errors import Conflict, GXError, NotFound, ValidationFailed
from shared.identity.service import PROFILE_COLUMNS
from shared.outbox import Command, Enqueued, enqueue
from shared.unit_of_work import command_transaction

SOURCE = "admin"


def _queue(admin: Principal, command_type: str, payload: dict[str, Any], *,
           request_id: str) -> Enqueued:
    with command_transaction(SOURCE) as conn:
        return enqueue(conn, Command(type=command_type, payload=payload, request_id=request_id,
                                     principal_id=admin.sub, service=SOURCE))


def _tenant() -> str:
    return get_settings().tenant


def bootstrap(admin: Principal) -> Enqueued:
    status = db.fetch_one(
        "SELECT bootstrapped_at FROM rm_system_status WHERE tenant_id = %s", (_tenant(),)
    )
    if status is not None and status["bootstrapped_at"] is not None:
        raise Conflict("the system is already bootstrapped", code="ALREADY_BOOTSTRAPPED")
    # One key for ever: a second bootstrap request returns the first command (gaps A26).
    return _queue(admin, "BOOTSTRAP_SYSTEM", {}, request_id="bootstrap")


def countries_payload(body: InitializeCountriesIn | None) -> tuple[dict[str, Any], str]:
    """(INITIALIZE_COUNTRY_DATA payload, its request id): the given countries, or every seeded
    country with its allocation share. The request id is a digest of the data, so the same
    initialisation can only be queued once whoever asks for it."""
    known = {
        r["country_code"]: r
        for r in db.fetch_all("SELECT country_code, country_name, allocation_share FROM countries")
    }
    if body is None or body.countries_data is None:
        seeded = {c: r for c, r in sorted(known.items()) if r["allocation_share"] is not None}
        shares = _within_world({c: Decimal(r["allocation_share"]) for c, r in seeded.items()})
        data = [{"code": c, "name": r["country_name"], "percentage": format(shares[c], "f")}
                for c, r in seeded.items()]
    else:
        unknown = sorted({c.code for c in body.countries_data} - known.keys())
        if unknown:
            raise ValidationFailed(
                "unknown country codes", errors=[
                    {"field": "countriesData", "message": f"not a seeded country: {c}",
                     "type": "unknown_country"} for c in unknown])
        data = [{"code": c.code, "name": c.name,
                 "percentage": format(Decimal(str(c.percentage)), "f")}
                for c in body.countries_data]
    digest = hashlib.sha256(repr(sorted((d["code"], d["percentage"]) for d in data)).encode())
    return {"countriesData": data}, f"init-countries:{digest.hexdigest()[:32]}"


def _within_world(shares: dict[str, Decimal]) -> dict[str, Decimal]:
    """The published shares are rounded to 8 decimals and add up to 1.00000003. The chain refuses
    quotas beyond 100 % of the world (they could promise the genesis pools twice), so when the
    sum exceeds 1 every share is scaled by 1/sum and rounded down at 12 decimals: each moves by
    at most 3e-8 of itself, and the sum is at most 1."""
    total = sum(shares.values(), Decimal(0))
    if total <= 1:
        return shares
    step = Decimal("1e-12")
    return {c: (v / total).quantize(step, rounding=ROUND_DOWN) for c, v in shares.items()}


def initialize_countries(admin: Principal, body: InitializeCountriesIn) -> Enqueued:
    payload, request_id = countries_payload(body)
    return _queue(admin, "INITIALIZE_COUNTRY_DATA", payload, request_id=request_id)


def update_parameter(admin: Principal, body: UpdateParameterIn, *, request_id: str) -> Enqueued:
    try:
        value = parameters.validate(body.param_id, body.new_value)
    except (GXError, ValueError, KeyError, LookupError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        raise ValidationFailed(
            "invalid parameter update",
            errors=[{"field": "newValue" if body.param_id in parameters.defaults() else "paramId",
                     "message": message, "type": "parameter"}],
        ) from None
    get_parameter(body.param_id)  # 404 for a parameter this tenant does not hold
    return _queue(admin, "UPDATE_SYSTEM_PARAMETER", {"paramId": body.param_id, "newValue": value},
                  request_id=request_id)


def pause(admin: Principal, body: PauseIn, *, request_id: str) -> Enqueued:
    return _queue(admin, "PAUSE_SYSTEM", {"reason": body.reason}, request_id=request_id)


def resume(admin: Principal, *, request_id: str) -> Enqueued:
    return _queue(admin, "RESUME_SYSTEM", {}, request_id=request_id)


def appoint_admin(admin: Principal, body: AppointAdminIn, *, request_id: str) -> Enqueued:
    """Grant ADMIN off-chain (the backend's RBAC) and record the appointment on chain."""
    with command_transaction(SOURCE) as conn:
        row = conn.execute(
            "SELECT profile_id, role, status, fabric_user_id FROM user_profiles"
            " WHERE profile_id::text = %s AND deleted_at IS NULL FOR UPDATE",
            (body.new_admin_id,),
        ).fetchone()
        if row is None:
            raise NotFound("no such user", code="USER_NOT_FOUND")
        if str(row["profile_id"]) == admin.sub:
            raise Conflict("an administrator cannot appoint themself", code="SELF_APPOINTMENT")
        if row["role"] in ("ADMIN", "SUPER_ADMIN"):
            raise Conflict("this user is already an administrator", code="ALREADY_ADMIN")
        if row["status"] != "ACTIVE" or row["fabric_user_id"] is None:
            raise Conflict("only an ACTIVE user registered on chain can be appointed",
                           code="USER_NOT_ACTIVE")
        conn.execute("UPDATE user_profiles SET role = 'ADMIN' WHERE profile_id = %s",
                     (row["profile_id"],))
        return enqueue(conn, Command(
            type="APPOINT_ADMIN", payload={"newAdminId": row["fabric_user_id"]},
            request_id=request_id, principal_id=admin.sub, service=SOURCE))


def activate_treasury(admin: Principal, body: ActivateTreasuryIn) -> Enqueued:
    if db.fetch_one("SELECT 1 FROM countries WHERE country_code = %s", (body.country_code,)) is None:
        raise NotFound("unknown country", code="COUNTRY_NOT_FOUND")
    return _queue(admin, "ACTIVATE_TREASURY", {"countryCode": body.country_code},
                  request_id=f"activate-treasury:{body.country_code}")


# --- queries ---------------------------------------------------------------------------------


def system_status() -> dict[str, Any]:
    from shared.readmodels.system import get_system_status

    s = get_system_status(tenant=_tenant())
    return {
        "isPaused": s["status"] == "PAUSED",
        "pauseReason": s["reason"] if s["status"] == "PAUSED" else None,
        "lastUpdated": s["changedAt"],
        "bootstrapped": s["bootstrappedAt"] is not None,
        "bootstrappedAt": s["bootstrappedAt"],
    }


def _parameter_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "paramKey": row["param_key"],
        "paramValue": row["param_value"],
        "description": row["description"],
        "valueType": row["value_type"],
        "source": row["source"],
        "updatedAt": row["updated_at"].isoformat() if row["updated_at"] else None,
    }


# One table: a row is the seeded default until the chain sets the parameter (source 'chain').
_PARAMETERS = (
    "SELECT param_key, param_value, description, value_type, source,"
    " COALESCE(chain_updated_at, updated_at) AS updated_at"
    " FROM system_parameters WHERE tenant_id = %s"
)


def get_parameter(param_id: str) -> dict[str, Any]:
    row = db.fetch_one(_PARAMETERS + " AND param_key = %s", (_tenant(), param_id))
    if row is None:
        raise NotFound(f"unknown parameter {param_id!r}", code="PARAMETER_NOT_FOUND")
    return _parameter_json(row)


def list_parameters() -> list[dict[str, Any]]:
    return [_parameter_json(r) for r in db.fetch_all(_PARAMETERS + " ORDER BY param_key",
                                                      (_tenant(),))]


def countries() -> list[dict[str, Any]]:
    return [
        {"countryCode": r["country_code"], "countryName": r["country_name"], "region": r["region"],
         "allocationShare": str(r["allocation_share"]) if r["allocation_share"] is not None else None}
        for r in db.fetch_all(
            "SELECT country_code, country_name, region, allocation_share FROM countries"
            " ORDER BY country_code")
    ]


def country_stats(country_code: str) -> dict[str, Any]:
    from shared.readmodels.system import get_country_stats

    country = db.fetch_one(
        "SELECT country_code, country_name, region, allocation_share FROM countries"
        " WHERE country_code = %s", (country_code,))
    if country is None:
        raise NotFound("unknown country", code="COUNTRY_NOT_FOUND")
    users = db.fetch_one(
        "SELECT count(*) FILTER (WHERE status = 'ACTIVE') AS active, count(*) AS registered"
        " FROM user_profiles WHERE nationality_country_code = %s AND deleted_at IS NULL",
        (country_code,))
    chain = get_country_stats(country_code, tenant=_tenant())
    return {
        "countryCode": country["country_code"],
        "countryName": country["country_name"],
        "region": country["region"],
        "allocationShare": str(country["allocation_share"]),
        "registeredUsers": users["registered"] if users else 0,
        "activeUsers": users["active"] if users else 0,
        "chain": chain,
    }


def counters() -> dict[str, Any]:
    from shared.readmodels.system import genesis_statistics

    totals = db.fetch_one(
        "SELECT (SELECT count(*) FROM user_profiles WHERE deleted_at IS NULL AND role = 'USER')"
        " AS users, (SELECT count(*) FROM user_profiles WHERE status = 'ACTIVE' AND role = 'USER')"
        " AS active_users, (SELECT count(*) FROM rm_organizations) AS organizations,"
        " (SELECT COALESCE(sum(balance), 0) FROM rm_accounts WHERE tenant_id = %s) AS accounted",
        (_tenant(),))
    assert totals is not None
    return {
        "totalSupply": str(TOTAL_SUPPLY),
        "accountedSupply": str(totals["accounted"]),
        "totalUsers": totals["users"],
        "activeUsers": totals["active_users"],
        "totalOrganizations": totals["organizations"],
        "genesis": genesis_statistics(tenant=_tenant()),
    }


def list_users(status: str | None, role: str | None, limit: int,
               cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    where, params = ["deleted_at IS NULL"], []
    if status:
        where.append("status = %s")
        params.append(status)
    if role:
        where.append("role = %s")
        params.append(role)
    if cursor:
        created_at, pid = pagination.decode(cursor, 2)
        where.append("(created_at, profile_id) > (%s::timestamptz, %s::uuid)")
        params += [created_at, pid]
    rows = db.fetch_all(
        f"SELECT {PROFILE_COLUMNS} FROM user_profiles WHERE {' AND '.join(where)}"
        " ORDER BY created_at, profile_id LIMIT %s", (*params, limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (pagination.encode(rows[-1]["created_at"], rows[-1]["profile_id"]) if more else None)
