"""The two outbox workers' bodies, so the function modules stay thin.

- `on_enqueued(data)`: a `command.enqueued` CloudEvent arrived: submit that command now, then the
  commands queued behind it in its aggregate.
- `sweep()`: a PingSource tick: refresh the queue gauges, purge expired idempotency keys, and
  drain everything due (retries after backoff, commands whose announcement was lost, leases of
  crashed workers) until the tick's budget ends or nothing is due within it.
Both may run anywhere, any number of times, concurrently: claims are exclusive and finalising
checks the lease, so the worst case is a wasted claim, never a second transaction.
"""

from __future__ import annotations

from typing import Any

from shared import db
from shared.chain.port import LedgerPort, get_ledger
from shared.config import get_settings
from shared.idempotency import purge_expired
from shared.observability import get_logger
from shared.outbox import metrics
from shared.outbox.policy import Policy
from shared.outbox.submit import DrainStats, Submitter, default_owner

log = get_logger(__name__)

# A tick runs at most GX_OUTBOX_SWEEP_BUDGET_S (50 s): the PingSource fires every 60 s and the
# function times out after 120 s, so consecutive sweeps overlap only briefly (which is harmless).


def on_enqueued(
    data: Any, *, ledger: LedgerPort | None = None, policy: Policy | None = None
) -> DrainStats | None:
    """Submit the announced command; None for a malformed event (permanent: acknowledged)."""
    command_id = data.get("commandId") if isinstance(data, dict) else None
    if not isinstance(command_id, str) or not 0 < len(command_id) <= 64:
        log.error("outbox.bad_enqueued_event", data=str(data)[:200])
        return None
    submitter = Submitter(
        ledger or get_ledger(), owner=default_owner("submit_command"),
        policy=policy or Policy.from_settings(),
    )
    return submitter.submit_command(command_id)


def sweep(
    *,
    ledger: LedgerPort | None = None,
    budget_s: float | None = None,
    policy: Policy | None = None,
    owner: str | None = None,
) -> DrainStats:
    with db.connection() as conn:
        depth, age = metrics.refresh(conn)
        purged = purge_expired(conn)
    submitter = Submitter(
        ledger or get_ledger(), owner=owner or default_owner("sweep_outbox"),
        policy=policy or Policy.from_settings(),
    )
    stats = submitter.drain(budget_s=budget_s or get_settings().outbox_sweep_budget_s)
    with db.connection() as conn:
        metrics.refresh(conn)
    log.info(
        "outbox.swept",
        depth_before=depth,
        oldest_age_s=round(age, 3),
        claimed=stats.claimed,
        outcomes=stats.by_status,
        lost_leases=stats.lost_leases,
        purged_keys=purged,
    )
    return stats
