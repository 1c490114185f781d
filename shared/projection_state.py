"""Where the read side stands relative to the ledger (readiness, the lag metric, pruning).

Projection lag = ledger height - highest contiguous projected block, where
- the ledger height is what the chain listener last observed (`chain_heights.height`), so
  readiness needs no ledger round trip;
- the contiguous projected block is the highest block B such that every event the listener
  published at or below B has been disposed of by a projector (`projected_events`), capped by
  the block the listener has fully published (`published_through`), so a listener that is behind
  counts as lag too.
A quiet chain is not lag: when nothing new is committed, height = contiguous and the lag is 0
however long ago the last event was (gaps.md B25).
"""

from __future__ import annotations

from typing import Any

import psycopg

from shared import db

_CONTIGUOUS = """
SELECT
  (SELECT max(height) FROM chain_heights) AS height,
  (SELECT max(published_through) FROM chain_heights) AS published_through,
  (SELECT min(p.block_number) FROM published_events p
     WHERE NOT EXISTS (SELECT 1 FROM projected_events e WHERE e.event_id = p.event_id))
    AS first_pending
"""


def _contiguous(row: dict[str, Any]) -> int | None:
    if row["published_through"] is None:
        return None
    through = int(row["published_through"])
    if row["first_pending"] is None:
        return through
    return min(through, int(row["first_pending"]) - 1)


def status(conn: psycopg.Connection[Any] | None = None) -> dict[str, int | None]:
    """{height, contiguous, lag}; all None before the listener has observed the ledger."""
    row = (conn.execute(_CONTIGUOUS).fetchone() if conn is not None else db.fetch_one(_CONTIGUOUS))
    if row is None or row["height"] is None:
        return {"height": None, "contiguous": None, "lag": None}
    height = int(row["height"])
    contiguous = _contiguous(row)
    lag = max(0, height - (contiguous if contiguous is not None else 0))
    return {"height": height, "contiguous": contiguous, "lag": lag}


def lag_blocks() -> int | None:
    """Ledger height minus the highest contiguous projected block; None before the first view."""
    return status()["lag"]


def prune(conn: psycopg.Connection[Any]) -> int | None:
    """Forget published and projected positions at or below the contiguous block (keeps both
    tables small); returns that block. Safe because nothing at or below it is still pending."""
    row = conn.execute(_CONTIGUOUS).fetchone()
    contiguous = _contiguous(row) if row is not None else None
    if contiguous is None:
        return None
    conn.execute("DELETE FROM published_events WHERE block_number <= %s", (contiguous,))
    conn.execute("DELETE FROM projected_events WHERE block_number <= %s", (contiguous,))
    return contiguous
