"""The two outbox workers' bodies, so the function modules stay thin.

- `on_enqueued(data)`: a `command.enqueued` CloudEvent arrived (naming one or more accepted
  commands): submit what is due now, the announced commands among it, in batches. While one
  announcement's drain runs in this process, later announcements only ask it for one more round
  and return at once (a drain takes everything due, announced or not), so a steady stream of
  announcements costs one drain, not one each. While commands are queued but leased elsewhere or
  backing off, the drain waits for them (handing over to a fresh announcement every
  FOLLOW_LIMIT_S), so a crashed worker's lease is taken over as soon as it runs out.
- `sweep()`: a PingSource tick: refresh the queue gauges, purge expired idempotency keys, and
  drain everything due (retries after backoff, commands whose announcement was lost, leases of
  crashed workers) until the tick's budget ends or nothing is due within it.
Both may run anywhere, any number of times, concurrently: claims are exclusive and finalising
checks the lease, so the worst case is a wasted claim, never a second transaction.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from shared import db
from shared.chain.port import LedgerPort, get_ledger
from shared.config import get_settings
from shared.idempotency import purge_expired
from shared.observability import get_logger
from shared.outbox import metrics
from shared.outbox.policy import Policy
from shared.outbox.reply import ANNOUNCE_BATCH, announce_later
from shared.outbox.submit import DrainStats, Submitter, default_owner

log = get_logger(__name__)

# A tick runs at most GX_OUTBOX_SWEEP_BUDGET_S (50 s): the PingSource fires every 60 s and the
# function times out after 120 s, so consecutive sweeps overlap only briefly (which is harmless).


def on_enqueued(
    data: Any, *, ledger: LedgerPort | None = None, policy: Policy | None = None
) -> DrainStats | None:
    """Submit the announced commands; None for a malformed event (permanent: acknowledged)."""
    command_id = data.get("commandId") if isinstance(data, dict) else None
    named = data.get("commandIds", [command_id]) if isinstance(data, dict) else None
    if (not isinstance(command_id, str) or not 0 < len(command_id) <= 64
            or not isinstance(named, list) or not 0 < len(named) <= ANNOUNCE_BATCH
            or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in named)):
        log.error("outbox.bad_enqueued_event", data=str(data)[:200])
        return None
    if not _draining.join():
        return DrainStats()  # the drain running in this process takes it
    submitter = Submitter(
        ledger or get_ledger(), owner=default_owner("submit_command"),
        policy=policy or Policy.from_settings(),
    )
    total = DrainStats()
    started = time.monotonic()
    try:
        while True:
            stats = submitter.submit_command(command_id)
            total.merge(stats)
            elapsed = time.monotonic() - started
            if elapsed > FOLLOW_LIMIT_S:
                return _hand_over(command_id, total)
            if stats.claimed or _draining.more():
                continue  # a backlog, or announcements arrived meanwhile: another round
            # Nothing claimable now. What becomes claimable soon (a crashed worker's lease running
            # out, a retry's backoff ending) is waited for here: the crashed worker's delivery is
            # redelivered to a live one and ends up in this loop, where the sweeper would see
            # the command only at its next tick, up to a minute later.
            wait = submitter.next_due_s()
            if wait is None:  # the queue is empty or held
                if _draining.again():
                    continue
                return total
            if wait >= FOLLOW_LIMIT_S - elapsed:
                return _hand_over(command_id, total)
            time.sleep(min(max(wait, 0.1), 1.0))  # poll: a lease may also end early, finalised
    except BaseException:
        _draining.leave()
        raise


def _hand_over(command_id: str, total: DrainStats) -> DrainStats:
    """Stop following and announce again instead of holding this delivery longer: a fresh
    delivery starts the next drain and the watch goes on while commands are queued."""
    _draining.leave()
    announce_later([command_id], source="submit_command")
    return total


#: How long one announcement's drain may keep following new announcements and waiting for
#: leased or backing-off commands; below the broker's delivery timeout (30 s).
FOLLOW_LIMIT_S = 20.0


class _Drain:
    """At most one announcement-driven drain per process; announcements that arrive while it
    runs ask it for another round instead of starting their own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._more = False

    def join(self) -> bool:
        """True: start draining (the caller must finish with `again()` False or `leave()`)."""
        with self._lock:
            if self._running:
                self._more = True
                return False
            self._running = True
            self._more = False
            return True

    def more(self) -> bool:
        """Whether an announcement came in since the last round (and forget it), still
        draining either way."""
        with self._lock:
            more, self._more = self._more, False
            return more

    def again(self) -> bool:
        """After a round: run another (an announcement came in), or stop draining."""
        with self._lock:
            if self._more:
                self._more = False
                return True
            self._running = False
            return False

    def leave(self) -> None:
        with self._lock:
            self._running = False
            self._more = False


_draining = _Drain()


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
