"""Readiness: the database answers, and the read side is not too far behind the ledger.

Projection lag = ledger height minus the highest contiguous projected block. A quiet chain is not
lag: when nothing new was committed the lag is zero however long ago the last event was.
"""

from __future__ import annotations

from typing import Any

from shared import db
from shared.config import get_settings
from shared.observability import PROJECTION_LAG


def projection_lag() -> int | None:
    """Blocks the read side is behind the ledger, or None when there is no ledger to compare."""
    from shared.projection_state import lag_blocks

    lag = lag_blocks()
    if lag is not None:
        PROJECTION_LAG.set(lag)
    return lag


def readiness() -> tuple[bool, dict[str, Any]]:
    checks: dict[str, Any] = {}
    try:
        db.fetch_one("SELECT 1")
        checks["database"] = {"status": "up"}
    except Exception:  # noqa: BLE001 - readiness reports whatever failed, it never raises
        checks["database"] = {"status": "down"}
        return False, checks
    try:
        lag = projection_lag()
    except Exception:  # noqa: BLE001 - as above: a failed lag query is reported, not raised
        checks["projectionLag"] = {"status": "error"}
        return True, checks
    threshold = get_settings().max_projection_lag
    if lag is None:
        checks["projectionLag"] = {"status": "unknown"}
        return True, checks
    ok = lag <= threshold
    checks["projectionLag"] = {"status": "ok" if ok else "behind", "value": lag, "max": threshold}
    return ok, checks
