"""The outbox's pure decisions: how a submission outcome moves a command, and when to retry.

No I/O here, so every rule is unit-tested directly (spec/commands.md §6.2-§6.3, gaps.md C15):
- committed (or a duplicate tx id that the ledger confirms) -> CONFIRMED with tx id, block, result;
- business rejection -> REJECTED at once, never retried;
- transient failure -> RETRYING after exponential backoff with jitter, DEAD once the counted
  attempts reach the limit; a failure that never reached the ledger (open circuit, ledger down)
  is not an attempt and only lengthens the backoff;
- anything unexpected is transient (the outcome is unknown; the tx id makes a retry safe).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

from shared.chain.port import BusinessRejection, ChainError, Committed, TransientFailure

Status = Literal["CONFIRMED", "REJECTED", "RETRYING", "DEAD"]
ERROR_MESSAGE_MAX = 1000


@dataclass(frozen=True, slots=True)
class Policy:
    """Submitter tuning. The lease is short and heartbeated while a batch is submitted
    (spec §6.1 allows either that or a lease above the worst commit time)."""

    max_attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 16.0
    jitter: float = 0.2  # +/- 20 % so a burst of failures does not retry in lockstep
    lease_s: float = 10.0
    batch_size: int = 100


    @classmethod
    def from_settings(cls) -> Policy:
        from shared.config import get_settings

        s = get_settings()
        return cls(max_attempts=s.outbox_max_attempts, backoff_base_s=s.outbox_backoff_base_s,
                   backoff_cap_s=s.outbox_backoff_cap_s, lease_s=s.outbox_lease_s,
                   batch_size=s.outbox_batch_size)


DEFAULT_POLICY = Policy()


def backoff_s(failures: int, policy: Policy = DEFAULT_POLICY, rng: random.Random | None = None) -> float:
    """Delay before the next try after `failures` transient failures: 1, 2, 4, 8, 16 s (capped),
    each +/- jitter."""
    n = max(1, failures)
    delay = min(policy.backoff_cap_s, policy.backoff_base_s * 2.0 ** (n - 1))
    spread = float((rng or random).uniform(-policy.jitter, policy.jitter))
    return max(0.05, delay * (1.0 + spread))


@dataclass(frozen=True, slots=True)
class Decision:
    """What finalising one claimed command must write."""

    command_id: str
    status: Status
    attempts: int
    failures: int
    block_number: int | None = None
    result: Any = None
    error_code: str | None = None
    error_message: str | None = None
    retry_in_s: float | None = None

    @property
    def terminal(self) -> bool:
        return self.status != "RETRYING"


def truncate(message: str) -> str:
    return message if len(message) <= ERROR_MESSAGE_MAX else message[: ERROR_MESSAGE_MAX - 1] + "…"


def confirmed(command_id: str, attempts: int, failures: int, committed: Committed) -> Decision:
    return Decision(
        command_id,
        "CONFIRMED",
        attempts,
        failures,
        block_number=committed.block_number,
        result=committed.result,
    )


def decide(
    command_id: str,
    *,
    attempts: int,
    failures: int,
    outcome: Committed | BaseException,
    reached_ledger: bool = True,
    policy: Policy = DEFAULT_POLICY,
    rng: random.Random | None = None,
) -> Decision:
    """The next state of a command whose submission produced `outcome`.

    `attempts`/`failures` are the counts before this submission. `reached_ledger=False` says the
    ledger was unreachable when this failure happened (a probe failed too), so the failure cannot
    be blamed on the command and does not consume an attempt.
    DuplicateTransaction is resolved by the caller (a ledger lookup) before it gets here.
    """
    if isinstance(outcome, Committed):
        return confirmed(command_id, attempts + 1, failures, outcome)
    if isinstance(outcome, BusinessRejection):
        return Decision(
            command_id,
            "REJECTED",
            attempts + 1,
            failures,
            error_code=outcome.code,
            error_message=truncate(outcome.message),
        )
    if isinstance(outcome, ChainError):
        code, message = outcome.code, outcome.message
    else:  # unknown exceptions are transient: the outcome is unknown, the tx id makes retry safe
        code, message = "UNKNOWN_ERROR", f"{type(outcome).__name__}: {outcome}"
    counts = reached_ledger and not (
        isinstance(outcome, TransientFailure) and not outcome.counts_as_attempt
    )
    new_attempts = attempts + (1 if counts else 0)
    new_failures = failures + 1
    if new_attempts >= policy.max_attempts:
        return Decision(
            command_id,
            "DEAD",
            new_attempts,
            new_failures,
            error_code=str(code),
            error_message=truncate(message),
        )
    return Decision(
        command_id,
        "RETRYING",
        new_attempts,
        new_failures,
        error_code=str(code),
        error_message=truncate(message),
        retry_in_s=backoff_s(new_failures, policy, rng),
    )
