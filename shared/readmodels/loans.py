"""Loans (`rm_loans`) in the chain's vocabulary: PendingApproval -> Active -> Paid | Defaulted
(gaps.md B13). Status changes are position-guarded; a loan event that arrives before the
application builds the row from what it carries. Amounts are integer Qirat (B29)."""

from __future__ import annotations

from typing import Any

import psycopg

from shared import db
from shared.events.cloudevent import ChainRecord
from shared.readmodels import guarded

Conn = psycopg.Connection[Any]


def loan(
    conn: Conn, record: ChainRecord, *, loan_id: str, status: str, borrower_id: str | None = None,
    amount: int | None = None, collateral_hash: str | None = None, approved_by: str | None = None,
    applied: bool = False, approved: bool = False, closed: bool = False, tenant: str = "default",
) -> None:
    guarded.upsert(
        conn, "rm_loans", record,
        keys={"tenant_id": tenant, "loan_id": loan_id},
        facts={"borrower_id": borrower_id, "amount": amount, "collateral_hash": collateral_hash,
               "approved_by": approved_by,
               "applied_at": record.time if applied else None,
               "approved_at": record.time if approved else None,
               "closed_at": record.time if closed else None},
        state={"status": status},
    )


def _json(row: dict[str, Any]) -> dict[str, Any]:
    def iso(v: Any) -> str | None:
        return v.isoformat() if v is not None else None

    return {
        "loanId": row["loan_id"],
        "borrowerId": row["borrower_id"],
        "amount": str(row["amount"]) if row["amount"] is not None else None,
        "collateralHash": row["collateral_hash"],
        "status": row["status"],
        "appliedAt": iso(row["applied_at"]),
        "approvedAt": iso(row["approved_at"]),
        "approvedBy": row["approved_by"],
        "closedAt": iso(row["closed_at"]),
    }


def get_loan(loan_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    row = db.fetch_one(
        "SELECT * FROM rm_loans WHERE tenant_id = %s AND loan_id = %s", (tenant, loan_id)
    )
    return _json(row) if row else None


def list_loans(
    *, borrower_id: str | None = None, status: str | None = None, limit: int = 50,
    tenant: str = "default",
) -> list[dict[str, Any]]:
    where: list[str] = ["tenant_id = %s"]
    params: list[Any] = [tenant]
    if borrower_id:
        where.append("borrower_id = %s")
        params.append(borrower_id)
    if status:
        where.append("status = %s")
        params.append(status)
    params.append(max(1, min(limit, 100)))
    rows = db.fetch_all(
        f"SELECT * FROM rm_loans WHERE {' AND '.join(where)}"
        " ORDER BY applied_at DESC NULLS LAST, loan_id LIMIT %s",
        params,
    )
    return [_json(r) for r in rows]
