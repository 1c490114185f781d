"""Keeping a claimed batch's lease alive while it is being submitted.

A lease is short (GX_OUTBOX_LEASE_S, 10 s) so that a crashed worker's commands are claimable
again within seconds. A living worker must therefore renew it for as long as its lookups and
ledger call take: `Heartbeat` is a small thread that pushes the expiry forward every third of the
lease, `WHERE lease_token = <ours>`, from the claim until the outcomes are known. It stops just
before finalising, which leaves at least two thirds of a lease for that one short transaction.

If a renewal finds a row no longer ours (this process stalled longer than a lease, or could not
reach the database), that is logged: another worker has claimed the command, finalising will
write nothing for it (`claim.finalise`), and the command still applies at most once because its
chain tx id is derived from the command id and the new owner looks that id up on the ledger
before and after resubmitting (`Submitter.process`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Self

from shared.observability import get_logger
from shared.outbox.claim import Lease, renew

log = get_logger(__name__)


class Heartbeat:
    """`with Heartbeat(connect, lease, ids):` renews `lease` on `ids` until the block ends."""

    def __init__(
        self,
        connect: Callable[[], AbstractContextManager[Any]],
        lease: Lease,
        command_ids: Iterable[str],
        *,
        every_s: float | None = None,
    ) -> None:
        self._connect = connect
        self._lease = lease
        self._ids = list(command_ids)
        self._every_s = every_s if every_s is not None else lease.seconds / 3
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gx-outbox-heartbeat", daemon=True)
        self.renewals = 0
        self.lost: list[str] = []

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Not joined: a renewal still running after the batch was finalised matches no row (the
        # token is gone), so the submitter need not wait for a slow one.
        self._stop.set()

    def _run(self) -> None:
        while self._ids and not self._stop.wait(self._every_s):
            try:
                with self._connect() as conn:
                    held = set(renew(conn, self._lease, self._ids))
            except Exception:  # the next beat retries; meanwhile the lease may run out
                log.warning("outbox.lease_renewal_failed", owner=self._lease.owner,
                            count=len(self._ids), exc_info=True)
                continue
            self.renewals += 1
            lost = [i for i in self._ids if i not in held]
            if lost and not self._stop.is_set():  # stopped: maybe finalised meanwhile
                self.lost.extend(lost)
                self._ids = [i for i in self._ids if i in held]
                log.warning("outbox.lease_lost", owner=self._lease.owner, count=len(lost),
                            command_ids=lost[:5], during="submission")


__all__ = ["Heartbeat"]
