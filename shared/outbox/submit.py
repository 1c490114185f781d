"""Submitting claimed commands to the ledger and finalising what happened.

`Submitter` is what both outbox functions run: `submit_command` (one command, right after it was
accepted, then the rest of its aggregate) and `sweep_outbox` (everything due, in batches, until its
time budget ends or the queue is idle). Per batch:

1. commands whose earlier claim may have reached the ledger (a crash, a timeout) are looked up by
   tx id first; found means CONFIRMED without resubmitting (spec/commands.md §6.4);
2. the rest are mapped through the catalogue and sent in one `submit_batch` (one block on the
   embedded ledger) or one `submit`;
3. a duplicate tx id is looked up and confirmed; a transient failure probes the ledger once. It
   counts as an attempt only if the ledger was reachable before the submission and still is: an
   outage (including the first failures on stale connections after it ends) must not use up a
   command's attempts, only stretch its backoff; a command that fails on a healthy ledger goes
   DEAD after the attempt limit;
4. decisions are written in one transaction, only for rows whose lease is still ours.
Steps 1-3 run under a heartbeat that renews the batch's short lease (`shared.outbox.heartbeat`).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from shared import db, tracing
from shared.chain.catalogue import CommandDef, commands
from shared.chain.port import (
    BusinessRejection,
    Committed,
    DuplicateTransaction,
    LedgerPort,
    Submission,
)
from shared.observability import get_logger
from shared.outbox import metrics
from shared.outbox.claim import Claimed, claim, finalise, new_lease, next_due_in_s
from shared.outbox.heartbeat import Heartbeat
from shared.outbox.policy import DEFAULT_POLICY, Decision, Policy, confirmed, decide

log = get_logger(__name__)

Connect = Callable[[], AbstractContextManager[Any]]
_DOWN: dict[int, bool] = {}  # id(ledger) -> believed unreachable (per process)


@dataclass
class DrainStats:
    claimed: int = 0
    batches: int = 0
    lost_leases: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, n: int = 1) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + n

    def merge(self, other: DrainStats) -> None:
        self.claimed += other.claimed
        self.batches += other.batches
        self.lost_leases += other.lost_leases
        for k, v in other.by_status.items():
            self.add(k, v)


def default_owner(role: str) -> str:
    return f"{role}@{socket.gethostname()}:{os.getpid()}"


class Submitter:
    """Claims, submits and finalises outbox commands for one worker (`owner` names its leases).

    `catalogue` restricts it to those command types (tests); the default is every defined type.
    `connect` gives outbox database connections (default: GX_DATABASE_URL's pool).
    """

    def __init__(
        self,
        ledger: LedgerPort,
        *,
        owner: str,
        policy: Policy = DEFAULT_POLICY,
        catalogue: Mapping[str, CommandDef] | None = None,
        connect: Connect = db.connection,
    ) -> None:
        self.ledger = ledger
        self.owner = owner
        self.policy = policy
        self._catalogue = catalogue
        self._types = sorted(catalogue) if catalogue is not None else None
        self.connect = connect
        self._last_lookup_ok = True

    @property
    def _ledger_down(self) -> bool:
        """Believed unreachable since the last probe; failures meanwhile are not attempts.
        Kept per process and ledger, so every submitter sharing a ledger's pool knows."""
        return _DOWN.get(id(self.ledger), False)

    @_ledger_down.setter
    def _ledger_down(self, down: bool) -> None:
        _DOWN[id(self.ledger)] = down

    @property
    def catalogue(self) -> Mapping[str, CommandDef]:
        return self._catalogue if self._catalogue is not None else commands()

    # --- entry points -------------------------------------------------------------------------

    def submit_command(self, command_id: str, *, follow_budget_s: float = 2.0) -> DrainStats:
        """Submit what is due, the announced command among it, in batches, until nothing more
        can be claimed or the budget ends.

        Announcements arrive one per command; under load many arrive together. Taking a whole
        batch (oldest first, one head per aggregate) puts up to `batch_size` commands in one
        ledger block instead of one block per command, which is what lets the drain keep up.
        Later commands of the announced command's aggregate become claimable as soon as it is
        finalised, so the next round takes them (as a dependent genesis after CREATE_USER).
        The budget is short: a delivery holds a broker worker, and what is left is taken by the
        next announcement's submitter or the sweeper."""
        stats = self.drain(budget_s=follow_budget_s, wait_for_due=False)
        if not stats.claimed:
            log.debug("outbox.nothing_claimable", command_id=command_id)
        return stats

    def drain(self, *, budget_s: float, wait_for_due: bool = True) -> DrainStats:
        """Submit due commands in batches until the budget ends or nothing is due within it."""
        stats = DrainStats()
        deadline = time.monotonic() + budget_s
        while time.monotonic() < deadline:
            batch = self._round(limit=self.policy.batch_size)
            stats.merge(batch)
            if batch.claimed:
                if self._ledger_down:
                    time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
                continue
            if not wait_for_due:
                break
            wait = self.next_due_s()
            remaining = deadline - time.monotonic()
            if wait is None or wait >= remaining:
                break
            # Poll at least every second: a lease we wait on may be finalised early.
            time.sleep(max(0.05, min(wait, 1.0, remaining)))
        return stats

    def next_due_s(self) -> float | None:
        """Seconds until a queued command becomes claimable (0: now); None if none will
        (empty or held queue)."""
        with self.connect() as conn:
            return next_due_in_s(conn)

    # --- one claim-submit-finalise round --------------------------------------------------------

    def _round(
        self, *, limit: int, command_id: str | None = None, aggregate_key: str | None = None
    ) -> DrainStats:
        stats = DrainStats()
        lease = new_lease(self.owner, self.policy.lease_s)
        with self.connect() as conn:
            claimed = claim(
                conn,
                lease,
                limit=limit,
                command_id=command_id,
                aggregate_key=aggregate_key,
                types=self._types,
            )
        if not claimed:
            return stats
        stats.claimed, stats.batches = len(claimed), 1
        # The lease is short: renewed while lookups and the ledger call run, however long.
        with Heartbeat(self.connect, lease, [c.command_id for c in claimed]):
            decisions = self.process(claimed)
        with self.connect() as conn:
            written = finalise(conn, lease.token, decisions)
        types = {c.command_id: c.command_type for c in claimed}
        for row in written:
            metrics.OUTCOMES.labels(types[row["id"]], row["status"]).inc()
            stats.add(row["status"])
        self._trace_outcomes([row["id"] for row in written])
        stats.lost_leases = len(decisions) - len(written)
        if stats.lost_leases:
            log.warning("outbox.lease_lost", owner=self.owner, count=stats.lost_leases)
        for d in decisions:
            if d.status in ("REJECTED", "DEAD"):
                log.warning(
                    "outbox.command_failed",
                    command_id=d.command_id,
                    status=d.status,
                    code=d.error_code,
                    attempts=d.attempts,
                )
        return stats

    def _trace_outcomes(self, ids: list[str]) -> None:
        """One log line (and span) per finalised command that carries a trace: the submit step
        of its trace. The traceparents are read here, not by the claim, which stays lean."""
        if not ids:
            return
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT id, command_type, status, block_number, tx_id, traceparent"
                " FROM outbox_commands WHERE id = ANY(%s) AND traceparent IS NOT NULL", (ids,)
            ).fetchall()
        for row in rows:
            with tracing.step("outbox.submit", row["traceparent"], command_id=row["id"],
                              status=row["status"], tx_id=row["tx_id"]):
                log.info("outbox.submitted", command_id=row["id"], type=row["command_type"],
                         status=row["status"], block=row["block_number"])

    def process(self, claimed: list[Claimed]) -> list[Decision]:
        """Submit `claimed` and decide each one's next state (no database writes)."""
        decisions: dict[str, Decision] = {}
        pending: list[tuple[Claimed, Submission]] = []
        lookups_ok = not self._ledger_down
        for c in claimed:
            # Skipped while the ledger is down: resubmitting is safe anyway (same tx id; a
            # duplicate is looked up then), and each lookup would wait for a dead connection.
            if c.outcome_unknown and lookups_ok:
                found = self._lookup(c)
                lookups_ok = self._last_lookup_ok
                if isinstance(found, Committed):
                    decisions[c.command_id] = confirmed(
                        c.command_id, c.attempts + 1, c.failures, found
                    )
                    continue
            try:
                definition = self.catalogue[c.command_type]
                contract, function, args, identity = definition.to_call(c.payload)
            except Exception as exc:  # noqa: BLE001 - validated at insert; only a catalogue change gets here
                decisions[c.command_id] = Decision(
                    c.command_id,
                    "DEAD",
                    c.attempts,
                    c.failures,
                    error_code="UNMAPPABLE_COMMAND",
                    error_message=f"{type(exc).__name__}: {exc}"[:1000],
                )
                continue
            pending.append(
                (c, Submission(contract, function, list(args), c.tx_id, identity=identity))
            )

        outcomes = self._submit([s for _, s in pending])
        transient: list[tuple[Claimed, BaseException]] = []
        for (c, _), result in zip(pending, outcomes, strict=True):
            outcome: Committed | BaseException = result
            if isinstance(outcome, DuplicateTransaction):
                found = self._lookup(c)
                outcome = found if found is not None else outcome
            if isinstance(outcome, Committed):
                decisions[c.command_id] = confirmed(c.command_id, c.attempts + 1, c.failures, outcome)
            elif isinstance(outcome, BusinessRejection):
                decisions[c.command_id] = decide(
                    c.command_id, attempts=c.attempts, failures=c.failures, outcome=outcome,
                    policy=self.policy,
                )
            else:
                transient.append((c, outcome))

        was_down = self._ledger_down
        self._ledger_down = False
        if transient:
            up_now = self._ledger_reachable()
            self._ledger_down = not up_now
            # Only a failure with the ledger known up before and after it counts as an attempt:
            # the first failures after an outage ends (stale connections) are the outage's too.
            reached = up_now and not was_down
            for c, failure in transient:
                decisions[c.command_id] = decide(
                    c.command_id,
                    attempts=c.attempts,
                    failures=c.failures,
                    outcome=failure,
                    reached_ledger=reached,
                    policy=self.policy,
                )
        return [decisions[c.command_id] for c in claimed]

    # --- ledger calls -------------------------------------------------------------------------

    def _submit(self, subs: list[Submission]) -> list[Committed | BaseException]:
        if not subs:
            return []
        mode = "batch" if len(subs) > 1 else "single"
        started = time.perf_counter()
        try:
            if len(subs) == 1:
                try:
                    return [self.ledger.submit(subs[0])]
                except Exception as exc:  # noqa: BLE001 - unknown errors are transient outcomes
                    return [exc]
            results = self.ledger.submit_batch(subs)
            if len(results) != len(subs):
                raise RuntimeError("ledger returned a different number of outcomes")
            return list(results)
        except Exception as exc:  # noqa: BLE001 - the whole batch failed: each outcome is that
            return [exc] * len(subs)
        finally:
            metrics.SUBMIT_LATENCY.labels(mode).observe(time.perf_counter() - started)

    def _lookup(self, c: Claimed) -> Committed | None:
        try:
            found = self.ledger.transaction(c.tx_id)
        except Exception:  # noqa: BLE001 - unknown; the submission (and its duplicate check) decides
            log.warning("outbox.lookup_failed", command_id=c.command_id)
            self._last_lookup_ok = False
            return None
        self._last_lookup_ok = True
        return found

    def _ledger_reachable(self) -> bool:
        try:
            self.ledger.height()
            return True
        except Exception:  # noqa: BLE001 - any failure of the probe means unreachable
            return False


__all__ = ["DrainStats", "Submitter", "default_owner"]
