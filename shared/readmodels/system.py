"""On-chain users, system status, chain parameters, treasuries, countries, genesis statistics
and relationships. Every state write is position-guarded (see `guarded`).

Off-chain rows owned by other services are updated here only where the spec makes the chain
their source: `user_profiles` (on-chain status, registration time; the APPROVED_PENDING_ONCHAIN
-> ACTIVE step, gaps.md B9) and `system_parameters` (the chain's values, `source = 'chain'`
and the block they came from, never replaced by an older block).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared import db
from shared.events.cloudevent import ChainRecord
from shared.readmodels import accounts, guarded

Conn = psycopg.Connection[Any]


# --- users -----------------------------------------------------------------------------------


_ONCHAIN_STATUS = {"Active": "ACTIVE", "Locked": "LOCKED"}


def user_registered(
    conn: Conn, record: ChainRecord, *, user_id: str, nationality: str | None, age: int | None,
    status: str, trust_score: int | None = None, tenant: str = "default",
) -> None:
    """The chain created the user (status in the chain's words: Active/Locked/Deceased)."""
    guarded.upsert(
        conn, "rm_chain_users", record,
        keys={"tenant_id": tenant, "fabric_user_id": user_id},
        facts={"nationality": nationality, "age": age, "registered_at": record.time},
        state={"status": status},
    )
    if trust_score is not None:
        trust(conn, record, user_id=user_id, score=trust_score, tenant=tenant)
    accounts.ensure(conn, user_id, "USER", tenant=tenant)
    # The profile is linked by fabric_user_id; a chain user without a profile has nothing to
    # update, which is not an error. Only APPROVED_PENDING_ONCHAIN -> ACTIVE is the chain's call
    # (rules.md §7.1); any other off-chain status is the identity service's.
    conn.execute(
        "UPDATE user_profiles SET onchain_registered_at = COALESCE(onchain_registered_at, %s),"
        " onchain_status = %s,"
        " status = CASE WHEN status = 'APPROVED_PENDING_ONCHAIN' AND %s = 'ACTIVE' THEN 'ACTIVE'"
        "               ELSE status END"
        " WHERE tenant_id = %s AND fabric_user_id = %s",
        (record.time, _ONCHAIN_STATUS.get(status, "ACTIVE"),
         _ONCHAIN_STATUS.get(status, "ACTIVE"), tenant, user_id),
    )


def trust(conn: Conn, record: ChainRecord, *, user_id: str, score: int, tenant: str = "default") -> None:
    """The user's trust score as of this event (the chain recomputes it; newest position wins)."""
    guarded.upsert(
        conn, "rm_chain_users", record,
        keys={"tenant_id": tenant, "fabric_user_id": user_id},
        state={"trust_score": score},
        block_col="trust_block", index_col="trust_tx_index",
    )


def admin_appointed(conn: Conn, record: ChainRecord, *, admin_id: str, tenant: str = "default") -> None:
    conn.execute(
        "INSERT INTO rm_chain_admins (tenant_id, admin_id, tx_id, block_number, appointed_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (tenant, admin_id, record.tx_id, record.block_number, record.time),
    )


def get_chain_user(user_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    row = db.fetch_one(
        "SELECT * FROM rm_chain_users WHERE tenant_id = %s AND fabric_user_id = %s", (tenant, user_id)
    )
    if row is None:
        return None
    return {
        "userId": row["fabric_user_id"],
        "nationality": row["nationality"],
        "age": row["age"],
        "status": row["status"],
        "trustScore": row["trust_score"],
        "registeredAt": row["registered_at"].isoformat() if row["registered_at"] else None,
    }


# --- system status and parameters --------------------------------------------------------------


def system_status(
    conn: Conn, record: ChainRecord, *, status: str, reason: str | None, tenant: str = "default"
) -> None:
    guarded.upsert(
        conn, "rm_system_status", record,
        keys={"tenant_id": tenant},
        state={"status": status, "reason": reason, "changed_at": record.time},
    )
    parameter(conn, record, key="SYSTEM_STATUS", value=status, tenant=tenant)


def bootstrapped(conn: Conn, record: ChainRecord, *, tenant: str = "default") -> None:
    conn.execute(
        "INSERT INTO rm_system_status (tenant_id, status, changed_at, bootstrapped_at,"
        " status_block, status_tx_index) VALUES (%s, 'ACTIVE', %s, %s, -1, -1)"
        " ON CONFLICT (tenant_id) DO UPDATE SET bootstrapped_at ="
        " COALESCE(rm_system_status.bootstrapped_at, EXCLUDED.bootstrapped_at)",
        (tenant, record.time, record.time),
    )
    parameter(conn, record, key="SYSTEM_BOOTSTRAPPED", value="true", tenant=tenant)


def get_system_status(*, tenant: str = "default") -> dict[str, Any]:
    """ACTIVE until the chain says otherwise (never an error before the first pause, B17)."""
    row = db.fetch_one("SELECT * FROM rm_system_status WHERE tenant_id = %s", (tenant,))
    if row is None:
        return {"status": "ACTIVE", "reason": None, "changedAt": None, "bootstrappedAt": None}
    return {
        "status": row["status"],
        "reason": row["reason"],
        "changedAt": row["changed_at"].isoformat() if row["status_block"] >= 0 else None,
        "bootstrappedAt": row["bootstrapped_at"].isoformat() if row["bootstrapped_at"] else None,
    }


def parameter(
    conn: Conn, record: ChainRecord, *, key: str, value: str, tenant: str = "default"
) -> None:
    """The chain set a parameter: its value replaces the seeded default, or an older chain value
    (by chain position), in the one parameter table."""
    conn.execute(
        "INSERT INTO system_parameters AS sp (tenant_id, param_key, param_value, source,"
        "  updated_in_block, chain_tx_index, chain_updated_at)"
        " VALUES (%s, %s, %s, 'chain', %s, %s, %s)"
        " ON CONFLICT (tenant_id, param_key) DO UPDATE SET param_value = EXCLUDED.param_value,"
        "  source = 'chain', updated_in_block = EXCLUDED.updated_in_block,"
        "  chain_tx_index = EXCLUDED.chain_tx_index, chain_updated_at = EXCLUDED.chain_updated_at"
        " WHERE sp.source <> 'chain'"
        "    OR (sp.updated_in_block, sp.chain_tx_index)"
        "       < (EXCLUDED.updated_in_block, EXCLUDED.chain_tx_index)",
        (tenant, key, value, record.block_number, record.tx_index, record.time),
    )


def get_chain_parameters(*, tenant: str = "default") -> dict[str, str]:
    """The parameters the chain has set (the rest are at their catalogue defaults)."""
    rows = db.fetch_all(
        "SELECT param_key, param_value FROM system_parameters"
        " WHERE tenant_id = %s AND source = 'chain' ORDER BY 1",
        (tenant,),
    )
    return {r["param_key"]: r["param_value"] for r in rows}


# --- treasuries and countries -------------------------------------------------------------------


def treasury_status(
    conn: Conn, record: ChainRecord, *, country_code: str, treasury_id: str, status: str,
    activated: bool = False, tenant: str = "default",
) -> None:
    guarded.upsert(
        conn, "rm_treasuries", record,
        keys={"tenant_id": tenant, "country_code": country_code},
        facts={"treasury_id": treasury_id, "activated_at": record.time if activated else None},
        state={"status": status},
    )
    accounts.ensure(conn, treasury_id, "TREASURY", tenant=tenant)


def get_treasury(country_code: str, *, tenant: str = "default") -> dict[str, Any] | None:
    """The treasury of a country: status (Locked until activated) and balance (B16)."""
    treasury_id = f"treasury_{country_code}"
    row = db.fetch_one(
        "SELECT t.status, t.activated_at, a.balance FROM (SELECT 1) one"
        " LEFT JOIN rm_treasuries t ON t.tenant_id = %s AND t.country_code = %s"
        " LEFT JOIN rm_accounts a ON a.tenant_id = %s AND a.account_id = %s",
        (tenant, country_code, tenant, treasury_id),
    )
    if row is None or (row["status"] is None and row["balance"] is None):
        return None
    return {
        "countryCode": country_code,
        "treasuryId": treasury_id,
        "status": row["status"] or "Locked",
        "balance": str(row["balance"] or 0),
        "activatedAt": row["activated_at"].isoformat() if row["activated_at"] else None,
    }


def country_initialized(
    conn: Conn, record: ChainRecord, *, country_code: str, data: dict[str, Any],
    tenant: str = "default",
) -> None:
    guarded.upsert(
        conn, "rm_country_stats", record,
        keys={"tenant_id": tenant, "country_code": country_code},
        state={"data": Jsonb(data), "initialized_at": record.time},
    )
    parameter(conn, record, key=f"COUNTRY_{country_code}_INITIALIZED", value="true", tenant=tenant)


# --- genesis ---------------------------------------------------------------------------------


def genesis_paid(
    conn: Conn, record: ChainRecord, *, user_id: str, amount: int, phase: int, eligible: bool,
    nationality: str | None, age: int | None, tenant: str = "default",
) -> None:
    """Genesis is paid once per user; the row records its phase (0 / amount 0 = done, nothing)."""
    conn.execute(
        "INSERT INTO rm_genesis_distributions (tenant_id, user_id, amount, phase, eligible,"
        " nationality, age, tx_id, block_number, occurred_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (tenant, user_id, amount, phase, eligible, nationality, age, record.tx_id,
         record.block_number, record.time),
    )


def treasury_allocated(
    conn: Conn, record: ChainRecord, *, treasury_id: str, country_code: str, amount: int,
    phase: int, tenant: str = "default",
) -> None:
    conn.execute(
        "INSERT INTO rm_treasury_allocations (tenant_id, tx_id, treasury_id, country_code, amount,"
        " phase, block_number, occurred_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (tenant, record.tx_id, treasury_id, country_code, amount, phase, record.block_number,
         record.time),
    )


def get_genesis(user_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    row = db.fetch_one(
        "SELECT * FROM rm_genesis_distributions WHERE tenant_id = %s AND user_id = %s",
        (tenant, user_id),
    )
    if row is None:
        return None
    return {
        "userId": row["user_id"], "amount": str(row["amount"]), "phase": row["phase"],
        "eligible": row["eligible"], "nationality": row["nationality"], "txId": row["tx_id"],
        "blockNumber": str(row["block_number"]), "timestamp": row["occurred_at"].isoformat(),
    }


def genesis_statistics(*, country_code: str | None = None, tenant: str = "default") -> dict[str, Any]:
    """Users paid, coins to users and to treasuries, per phase (optionally for one country)."""
    where, params = "tenant_id = %s", [tenant]
    if country_code:
        where += " AND nationality = %s"
        params.append(country_code)
    users = db.fetch_all(
        "SELECT phase, count(*) FILTER (WHERE eligible AND amount > 0) AS paid,"
        " count(*) AS processed, COALESCE(sum(amount), 0) AS amount"
        f" FROM rm_genesis_distributions WHERE {where} GROUP BY phase ORDER BY phase",
        params,
    )
    t_where, t_params = "tenant_id = %s", [tenant]
    if country_code:
        t_where += " AND country_code = %s"
        t_params.append(country_code)
    treasury = db.fetch_all(
        "SELECT phase, COALESCE(sum(amount), 0) AS amount FROM rm_treasury_allocations"
        f" WHERE {t_where} GROUP BY phase ORDER BY phase",
        t_params,
    )
    t_by_phase = {r["phase"]: int(r["amount"]) for r in treasury}
    phases = sorted({r["phase"] for r in users} | set(t_by_phase))
    u_by_phase = {r["phase"]: r for r in users}
    return {
        "countryCode": country_code,
        "usersPaid": sum(int(r["paid"]) for r in users),
        "usersProcessed": sum(int(r["processed"]) for r in users),
        "distributedToUsers": str(sum(int(r["amount"]) for r in users)),
        "allocatedToTreasuries": str(sum(t_by_phase.values())),
        "phases": [
            {
                "phase": p,
                "usersPaid": int(u_by_phase[p]["paid"]) if p in u_by_phase else 0,
                "distributedToUsers": str(int(u_by_phase[p]["amount"]) if p in u_by_phase else 0),
                "allocatedToTreasuries": str(t_by_phase.get(p, 0)),
            }
            for p in phases
        ],
    }


def get_country_stats(country_code: str, *, tenant: str = "default") -> dict[str, Any] | None:
    row = db.fetch_one(
        "SELECT data, initialized_at FROM rm_country_stats WHERE tenant_id = %s AND country_code = %s",
        (tenant, country_code),
    )
    genesis = genesis_statistics(country_code=country_code, tenant=tenant)
    treasury = get_treasury(country_code, tenant=tenant)
    if row is None and genesis["usersProcessed"] == 0 and treasury is None:
        return None
    return {
        "countryCode": country_code,
        "initialized": row is not None,
        "initializedAt": row["initialized_at"].isoformat() if row else None,
        "chainData": row["data"] if row else None,
        "genesis": genesis,
        "treasury": treasury,
    }


# --- relationships ---------------------------------------------------------------------------


def relationship(
    conn: Conn, record: ChainRecord, *, relationship_id: str, subject_id: str, object_id: str,
    rel_type: str, status: str, tenant: str = "default",
) -> None:
    # Each time is set only by its own event, so the row does not depend on delivery order.
    guarded.upsert(
        conn, "rm_relationships", record,
        keys={"tenant_id": tenant, "relationship_id": relationship_id},
        facts={"subject_id": subject_id, "object_id": object_id, "type": rel_type,
               "requested_at": record.time if status == "PendingConfirmation" else None,
               "confirmed_at": record.time if status == "Confirmed" else None},
        state={"status": status},
    )


def list_relationships(user_id: str, *, tenant: str = "default") -> list[dict[str, Any]]:
    """A user's relationships; a confirmed one counts for both sides."""
    rows = db.fetch_all(
        "SELECT * FROM rm_relationships WHERE tenant_id = %s AND (subject_id = %s OR object_id = %s)"
        " ORDER BY status_block, status_tx_index",
        (tenant, user_id, user_id),
    )
    return [
        {
            "relationshipId": r["relationship_id"], "subjectId": r["subject_id"],
            "objectId": r["object_id"], "type": r["type"], "status": r["status"],
            "requestedAt": r["requested_at"].isoformat() if r["requested_at"] else None,
            "confirmedAt": r["confirmed_at"].isoformat() if r["confirmed_at"] else None,
        }
        for r in rows
    ]
