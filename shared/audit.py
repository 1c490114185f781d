"""The audit trail: who did what, when, to which target, with the values before and after.

Rows are hash-chained: each `event_hash` covers the row's content and the previous row's hash, so
editing or deleting a row breaks every later hash (`verify_chain`). Writes are serialised by a
transaction-level advisory lock, which is cheap because audited actions are admin-rate, and the
row is written on the caller's transaction so an action and its audit record commit together.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared.config import get_settings

_CHAIN_LOCK = 0x6778_6175  # "gxau"


def _digest(previous: str, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous}|{body}".encode()).hexdigest()


def record(
    conn: psycopg.Connection[Any],
    *,
    event_type: str,
    actor_id: str | None,
    actor_role: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    before: Any = None,
    after: Any = None,
    metadata: dict[str, Any] | None = None,
) -> str:
    """Append one audit row on `conn`'s open transaction; its hash."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CHAIN_LOCK,))
    last = conn.execute(
        "SELECT event_hash FROM audit_log ORDER BY created_at DESC, audit_id DESC LIMIT 1"
    ).fetchone()
    previous = (last["event_hash"] if isinstance(last, dict) else last[0]) if last else ""
    fields = {
        "event_type": event_type,
        "actor_id": actor_id,
        "actor_role": actor_role,
        "target_type": target_type,
        "target_id": target_id,
        "previous_value": before,
        "new_value": after,
        "metadata": metadata or {},
    }
    event_hash = _digest(previous, fields)
    conn.execute(
        "INSERT INTO audit_log (tenant_id, event_type, actor_id, actor_role, target_type,"
        " target_id, previous_value, new_value, metadata, event_hash, created_at)"
        " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s, clock_timestamp())",
        (
            get_settings().tenant,
            event_type,
            actor_id,
            actor_role,
            target_type,
            target_id,
            Jsonb(before) if before is not None else None,
            Jsonb(after) if after is not None else None,
            Jsonb(metadata or {}),
            event_hash,
        ),
    )
    return event_hash


def verify_chain(conn: psycopg.Connection[Any]) -> bool:
    """True when every row's hash matches its content and its predecessor."""
    previous = ""
    for row in conn.execute(
        "SELECT event_type, actor_id, actor_role, target_type, target_id, previous_value,"
        " new_value, metadata, event_hash FROM audit_log ORDER BY created_at, audit_id"
    ):
        r = row if isinstance(row, dict) else dict(zip(
            ("event_type", "actor_id", "actor_role", "target_type", "target_id",
             "previous_value", "new_value", "metadata", "event_hash"), row))
        fields = {k: r[k] for k in r if k != "event_hash"}
        if _digest(previous, fields) != r["event_hash"]:
            return False
        previous = r["event_hash"]
    return True
