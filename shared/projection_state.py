"""Where the read side stands relative to the ledger (used by readiness and metrics)."""

from __future__ import annotations

from shared import db


def lag_blocks() -> int | None:
    """Ledger height minus the highest contiguous projected block; None before the first block.

    The ledger height is what the chain listener last saw (`chain_height`), so this needs no
    ledger round trip; the projected height is maintained by the projectors.
    """
    row = db.fetch_one(
        "SELECT (SELECT max(height) FROM chain_height) AS height,"
        " (SELECT max(projected_block) FROM projection_progress) AS projected"
    )
    if row is None or row["height"] is None:
        return None
    return max(0, int(row["height"]) - int(row["projected"] or 0))
