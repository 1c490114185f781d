"""While the chain is paused, new non-admin commands are refused up front (rules.md §12) with
503 and the pause reason, instead of being accepted and failing later on chain. Admin commands
(resume above all) still pass: the chain decides what it accepts while paused."""

from __future__ import annotations

from shared import db
from shared.auth import Principal
from shared.config import get_settings
from shared.errors import Unavailable


class SystemPaused(Unavailable):
    code = "SYSTEM_PAUSED"


def ensure_accepting(principal: Principal | None) -> None:
    if principal is not None and principal.is_admin:
        return
    row = db.fetch_one(
        "SELECT status, reason FROM rm_system_status WHERE tenant_id = %s",
        (get_settings().tenant,),
    )
    if row is not None and row["status"] == "PAUSED":
        raise SystemPaused(f"System paused: {row['reason'] or 'maintenance'}", retry_after=60)
