"""A circuit breaker: after N consecutive outages, fail fast for a while instead of waiting on a
dead peer; then let one trial call through (half-open) and close again when it succeeds.

A fast failure is a TransientFailure with `counts_as_attempt=False`: it never reached the ledger,
so the outbox only stretches the command's backoff.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shared.chain.port import TransientFailure
from shared.observability import LEDGER_CIRCUIT_OPEN, LEDGER_CIRCUIT_OPENED


class CircuitBreaker:
    def __init__(
        self, failures: int = 3, reset_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = failures
        self.reset_s = reset_s
        self.clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self.clock() - self._opened_at >= self.reset_s else "open"

    def before(self) -> None:
        """Raise the fast failure while open; admit one trial call once the reset time passed."""
        with self._lock:
            if self._opened_at is None:
                return
            if self.clock() - self._opened_at >= self.reset_s and not self._trial:
                self._trial = True
                return
        raise TransientFailure(
            "LEDGER_CIRCUIT_OPEN", "the Fabric peer is unreachable; failing fast",
            counts_as_attempt=False,
        )

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            if self._opened_at is not None:
                LEDGER_CIRCUIT_OPEN.set(0)
            self._opened_at = None
            self._trial = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial or self._failures >= self.threshold:
                if self._opened_at is None:
                    LEDGER_CIRCUIT_OPENED.inc()
                    LEDGER_CIRCUIT_OPEN.set(1)
                self._opened_at = self.clock()  # (re)open: the trial failed or too many in a row
            self._trial = False
