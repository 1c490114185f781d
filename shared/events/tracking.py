"""Processed-event tracking for idempotent consumers.

`process_once` inserts the (consumer, event id) row in the caller's transaction, next to the
consumer's side effect: the side effect and the record that it happened commit or roll back
together, so a redelivered event is recognised and acknowledged without being applied twice.
Two concurrent deliveries of one event serialise on the primary key: the second waits for the
first to commit and then sees the row.
"""

from __future__ import annotations

from typing import Any

import psycopg


def process_once(conn: psycopg.Connection[Any], consumer: str, event_id: str) -> bool:
    """True if this is the first time `consumer` handles `event_id` (and records that it has)."""
    row = conn.execute(
        "INSERT INTO processed_events (consumer, event_id) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        (consumer, event_id),
    ).fetchone()
    return row is not None
