"""Organizations and multi-signature transactions (`rm_organizations`, `rm_org_endorsements`,
`rm_multisig_transactions`, `rm_multisig_approvals`), in the chain's vocabulary
(PendingEndorsement/Verified/Locked; Pending/Executed/ExecutionFailed, gaps.md B13).

Order tolerance: an event about an org or a pending transaction whose creating event has not
been projected yet builds the row from what it carries (position-guarded upsert); endorsements
and approvals are rows, so their counts never double.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared import db
from shared.events.cloudevent import ChainRecord
from shared.readmodels import accounts, guarded

Conn = psycopg.Connection[Any]


def org_proposed(
    conn: Conn, record: ChainRecord, *, org_id: str, name: str | None, org_type: str | None,
    country: str | None, stakeholders: list[str], status: str = "PendingEndorsement",
    tenant: str = "default",
) -> None:
    guarded.upsert(
        conn, "rm_organizations", record,
        keys={"tenant_id": tenant, "org_id": org_id},
        facts={"org_name": name, "org_type": org_type, "country": country,
               "stakeholders": Jsonb(stakeholders), "created_at": record.time},
        state={"status": status},
    )
    accounts.ensure(conn, org_id, "ORG", tenant=tenant)


def org_status(
    conn: Conn, record: ChainRecord, *, org_id: str, status: str, activated: bool = False,
    tenant: str = "default",
) -> None:
    guarded.upsert(
        conn, "rm_organizations", record,
        keys={"tenant_id": tenant, "org_id": org_id},
        facts={"activated_at": record.time if activated else None},
        state={"status": status},
    )
    accounts.ensure(conn, org_id, "ORG", tenant=tenant)


def endorsed(conn: Conn, record: ChainRecord, *, org_id: str, user_id: str, tenant: str = "default") -> None:
    conn.execute(
        "INSERT INTO rm_org_endorsements (tenant_id, org_id, user_id, tx_id, endorsed_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (tenant, org_id, user_id, record.tx_id, record.time),
    )


def rule_defined(
    conn: Conn, record: ChainRecord, *, org_id: str, index: int, rule: dict[str, Any],
    tenant: str = "default",
) -> None:
    """Rules are appended on chain with their index: merging by index gives the same list for
    any delivery order."""
    conn.execute(
        "INSERT INTO rm_organizations (tenant_id, org_id, auth_rules) VALUES (%s, %s, %s)"
        " ON CONFLICT (tenant_id, org_id) DO UPDATE"
        " SET auth_rules = rm_organizations.auth_rules || EXCLUDED.auth_rules, updated_at = now()",
        (tenant, org_id, Jsonb({str(index): rule})),
    )


def multisig(
    conn: Conn, record: ChainRecord, *, pending_tx_id: str, org_id: str, status: str,
    to_id: str | None = None, amount: int | None = None, remark: str | None = None,
    initiator_id: str | None = None, required_approvals: int | None = None,
    approver_group: list[str] | None = None, error: str | None = None,
    initiated: bool = False, executed: bool = False, tenant: str = "default",
) -> None:
    guarded.upsert(
        conn, "rm_multisig_transactions", record,
        keys={"tenant_id": tenant, "pending_tx_id": pending_tx_id},
        facts={"org_id": org_id, "to_id": to_id, "amount": amount, "remark": remark,
               "initiator_id": initiator_id, "required_approvals": required_approvals,
               "approver_group": Jsonb(approver_group) if approver_group is not None else None,
               "initiated_at": record.time if initiated else None,
               "executed_at": record.time if executed else None},
        state={"status": status, "error": error},
    )


def approvals(
    conn: Conn, record: ChainRecord, *, pending_tx_id: str, approver_ids: list[str],
    tenant: str = "default",
) -> None:
    """Every approval the event reports (each is a row, so repeats change nothing)."""
    if approver_ids:
        conn.execute(
            "INSERT INTO rm_multisig_approvals AS m (tenant_id, pending_tx_id, approver_id, tx_id,"
            " approved_at, block_number, tx_index)"
            " SELECT %s, %s, a, %s, %s, %s, %s FROM unnest(%s::text[]) AS t(a) ORDER BY a"
            " ON CONFLICT (tenant_id, pending_tx_id, approver_id) DO UPDATE SET"
            " tx_id = EXCLUDED.tx_id, approved_at = EXCLUDED.approved_at,"
            " block_number = EXCLUDED.block_number, tx_index = EXCLUDED.tx_index"
            " WHERE (m.block_number, m.tx_index) > (EXCLUDED.block_number, EXCLUDED.tx_index)",
            (tenant, pending_tx_id, record.tx_id, record.time, record.block_number,
             record.tx_index, sorted(set(approver_ids))),
        )


# --- queries -------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def get_organization(org_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    row = db.fetch_one(
        "SELECT o.*, a.balance,"
        " COALESCE((SELECT jsonb_object_agg(e.user_id, true) FROM rm_org_endorsements e"
        "   WHERE e.tenant_id = o.tenant_id AND e.org_id = o.org_id), '{}'::jsonb) AS endorsements"
        " FROM rm_organizations o LEFT JOIN rm_accounts a"
        "   ON a.tenant_id = o.tenant_id AND a.account_id = o.org_id"
        " WHERE o.tenant_id = %s AND o.org_id = %s",
        (tenant, org_id),
    )
    if row is None:
        return None
    stakeholders = list(row["stakeholders"] or [])
    endorsements = {s: False for s in stakeholders} | dict(row["endorsements"])
    return {
        "orgId": row["org_id"],
        "orgName": row["org_name"],
        "accountType": row["org_type"],
        "country": row["country"],
        "status": row["status"],
        "stakeholders": stakeholders,
        "endorsements": endorsements,
        "rules": [
            rule for _, rule in sorted(dict(row["auth_rules"]).items(), key=lambda kv: int(kv[0]))
        ],
        "balance": str(row["balance"] or 0),
        "createdAt": _iso(row["created_at"]),
        "activatedAt": _iso(row["activated_at"]),
    }


_MULTISIG = (
    "SELECT m.*, COALESCE((SELECT jsonb_object_agg(a.approver_id, true) FROM rm_multisig_approvals a"
    "   WHERE a.tenant_id = m.tenant_id AND a.pending_tx_id = m.pending_tx_id), '{}'::jsonb)"
    "   AS approvals FROM rm_multisig_transactions m"
)


def _multisig_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "pendingTxId": row["pending_tx_id"],
        "orgId": row["org_id"],
        "toId": row["to_id"],
        "amount": str(row["amount"]) if row["amount"] is not None else None,
        "remark": row["remark"],
        "initiatorId": row["initiator_id"],
        "requiredApprovals": row["required_approvals"],
        "approverGroup": row["approver_group"],
        "status": row["status"],
        "error": row["error"],
        "approvals": dict(row["approvals"]),
        "approvalCount": len(row["approvals"]),
        "initiatedAt": _iso(row["initiated_at"]),
        "executedAt": _iso(row["executed_at"]),
    }


def get_multisig(pending_tx_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    row = db.fetch_one(
        _MULTISIG + " WHERE m.tenant_id = %s AND m.pending_tx_id = %s", (tenant, pending_tx_id)
    )
    return _multisig_json(row) if row else None


def list_multisig(
    org_id: str, *, status: str | None = None, limit: int = 50, tenant: str = "default"
) -> list[dict[str, Any]]:
    params: list[Any] = [tenant, org_id]
    where = " WHERE m.tenant_id = %s AND m.org_id = %s"
    if status:
        where += " AND m.status = %s"
        params.append(status)
    params.append(max(1, min(limit, 100)))
    rows = db.fetch_all(
        _MULTISIG + where + " ORDER BY m.status_block DESC, m.status_tx_index DESC LIMIT %s", params
    )
    return [_multisig_json(r) for r in rows]
