"""While the chain is paused, new non-admin commands are refused up front (rules.md §12) with
503 and the pause reason, instead of being accepted and failing later on chain. Admin commands
(resume above all) still pass: the chain decides what it accepts while paused. The flag is read
through `shared.hot_reads` (at most a second old)."""

from __future__ import annotations

from shared import db, hot_reads
from shared.auth import Principal
from shared.config import get_settings
from shared.errors import Unavailable


class SystemPaused(Unavailable):
    code = "SYSTEM_PAUSED"


def ensure_accepting(principal: Principal | None) -> None:
    if principal is not None and principal.is_admin:
        return
    tenant = get_settings().tenant
    row = hot_reads.remembered(("system_status", tenant), lambda: db.fetch_one(
        "SELECT status, reason FROM rm_system_status WHERE tenant_id = %s", (tenant,)))
    if row is not None and row["status"] == "PAUSED":
        raise SystemPaused(f"System paused: {row['reason'] or 'maintenance'}", retry_after=60)
