"""Proposals and votes (`rm_proposals`, `rm_proposal_votes`) in the chain's vocabulary:
Active -> Executed | Failed | FailedExecution (gaps.md B13, C12). Votes are rows unique per
voter, so tallies are counts and a replay never double-counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from shared import db
from shared.events.cloudevent import ChainRecord
from shared.readmodels import guarded

Conn = psycopg.Connection[Any]


def proposal(
    conn: Conn, record: ChainRecord, *, proposal_id: str, status: str,
    target_param: str | None = None, new_value: str | None = None, proposer_id: str | None = None,
    end_time: datetime | None = None, error: str | None = None, submitted: bool = False,
    executed: bool = False, tenant: str = "default",
) -> None:
    guarded.upsert(
        conn, "rm_proposals", record,
        keys={"tenant_id": tenant, "proposal_id": proposal_id},
        facts={"target_param": target_param, "new_value": new_value, "proposer_id": proposer_id,
               "end_time": end_time, "submitted_at": record.time if submitted else None,
               "executed_at": record.time if executed else None},
        state={"status": status, "error": error},
    )


def vote(
    conn: Conn, record: ChainRecord, *, proposal_id: str, voter_id: str, support: bool,
    tenant: str = "default",
) -> None:
    conn.execute(
        "INSERT INTO rm_proposal_votes (tenant_id, proposal_id, voter_id, support, tx_id, voted_at)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (tenant, proposal_id, voter_id, support, record.tx_id, record.time),
    )


_SELECT = (
    "SELECT p.*,"
    " (SELECT count(*) FROM rm_proposal_votes v WHERE v.tenant_id = p.tenant_id"
    "   AND v.proposal_id = p.proposal_id AND v.support) AS votes_for,"
    " (SELECT count(*) FROM rm_proposal_votes v WHERE v.tenant_id = p.tenant_id"
    "   AND v.proposal_id = p.proposal_id AND NOT v.support) AS votes_against"
    " FROM rm_proposals p"
)


def _json(row: dict[str, Any]) -> dict[str, Any]:
    def iso(v: Any) -> str | None:
        return v.isoformat() if v is not None else None

    return {
        "proposalId": row["proposal_id"],
        "targetParam": row["target_param"],
        "newValue": row["new_value"],
        "proposerId": row["proposer_id"],
        "status": row["status"],
        "error": row["error"],
        "forVotes": int(row["votes_for"]),
        "againstVotes": int(row["votes_against"]),
        "endTime": iso(row["end_time"]),
        "submittedAt": iso(row["submitted_at"]),
        "executedAt": iso(row["executed_at"]),
    }


def get_proposal(proposal_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    row = db.fetch_one(_SELECT + " WHERE p.tenant_id = %s AND p.proposal_id = %s", (tenant, proposal_id))
    return _json(row) if row else None


def list_proposals(
    *, status: str | None = None, limit: int = 50, tenant: str = "default"
) -> list[dict[str, Any]]:
    where = " WHERE p.tenant_id = %s"
    params: list[Any] = [tenant]
    if status:
        where += " AND p.status = %s"
        params.append(status)
    params.append(max(1, min(limit, 100)))
    rows = db.fetch_all(
        _SELECT + where + " ORDER BY p.submitted_at DESC NULLS LAST, p.proposal_id LIMIT %s", params
    )
    return [_json(r) for r in rows]


def get_vote(proposal_id: str, voter_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    row = db.fetch_one(
        "SELECT support, tx_id, voted_at FROM rm_proposal_votes"
        " WHERE tenant_id = %s AND proposal_id = %s AND voter_id = %s",
        (tenant, proposal_id, voter_id),
    )
    if row is None:
        return None
    return {"support": row["support"], "txId": row["tx_id"], "votedAt": row["voted_at"].isoformat()}
