"""The dead-letter table (`event_dead_letters`): events that could not be projected.

Writers: the chain listener (a chain event whose payload fails its schema: source
`chain-listener`), the projector handler policy (a permanent projection failure: source
`projector`) and the broker (deliveries that kept failing: source `broker`). Each row keeps the
CloudEvent's attributes and data, so an operator can inspect it and replay it once the cause is
fixed. Replaying is audited (`shared.audit`).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared import db


def record(
    conn: psycopg.Connection[Any],
    *,
    source: str,
    reason: str,
    subscriber: str | None = None,
    event_id: str | None = None,
    event_type: str | None = None,
    attributes: dict[str, Any] | None = None,
    payload: Any = None,
    block_number: int | None = None,
    tx_id: str | None = None,
    attempts: int = 0,
    raw_body: bytes | None = None,
    tenant_id: str = "default",
) -> int:
    """Insert one dead letter in the caller's transaction; its id."""
    row = conn.execute(
        "INSERT INTO event_dead_letters (tenant_id, source, subscriber, event_id, event_type,"
        " reason, attempts, headers, payload, raw_body, block_number, tx_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            tenant_id, source, subscriber, event_id, event_type, reason[:2000], attempts,
            Jsonb(attributes or {}), Jsonb(payload) if payload is not None else None,
            raw_body, block_number, tx_id,
        ),
    ).fetchone()
    assert row is not None
    return int(row["id"])


_COLUMNS = (
    "id, tenant_id, source, subscriber, event_id, event_type, reason, attempts, headers,"
    " payload, block_number, tx_id, status, created_at, replayed_at, replayed_by"
)
# One row in full, with the delivered bytes (the broker stores the HTTP request as it came).
_ROW = _COLUMNS + ", raw_body"


def list_page(
    *, status: str | None = "DEAD", source: str | None = None, before_id: int | None = None,
    limit: int = 50, tenant_id: str = "default",
) -> list[dict[str, Any]]:
    """Newest first; `before_id` is the keyset cursor (the last id of the previous page)."""
    clauses = ["tenant_id = %s"]
    params: list[Any] = [tenant_id]
    if status:
        clauses.append("status = %s")
        params.append(status)
    if source:
        clauses.append("source = %s")
        params.append(source)
    if before_id is not None:
        clauses.append("id < %s")
        params.append(before_id)
    params.append(limit)
    return db.fetch_all(
        f"SELECT {_COLUMNS} FROM event_dead_letters WHERE {' AND '.join(clauses)}"
        " ORDER BY id DESC LIMIT %s",
        params,
    )


def get(conn: psycopg.Connection[Any], dead_letter_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    return conn.execute(
        f"SELECT {_ROW} FROM event_dead_letters WHERE id = %s" + (" FOR UPDATE" if lock else ""),
        (dead_letter_id,),
    ).fetchone()


def mark_replayed(conn: psycopg.Connection[Any], dead_letter_id: int, *, by: str) -> None:
    conn.execute(
        "UPDATE event_dead_letters SET status = 'REPLAYED', replayed_at = now(), replayed_by = %s"
        " WHERE id = %s",
        (by, dead_letter_id),
    )
