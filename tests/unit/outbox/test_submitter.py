"""Submitter.process with a scripted in-test ledger: lookups, duplicates, batches, outages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.chain.port import (
    BusinessRejection,
    ChainError,
    Committed,
    DuplicateTransaction,
    Submission,
    TransientFailure,
)
from shared.outbox.claim import Claimed
from shared.outbox.policy import Policy
from shared.outbox.submit import Submitter
from tests.integration.outbox.sample_commands import PARAM, SET_PARAM, TEST_CATALOGUE


class ScriptedLedger:
    """Answers from a script; records every call. Unit tests only."""

    def __init__(self) -> None:
        self.committed: dict[str, Committed] = {}
        self.submitted: list[list[str]] = []
        self.lookups: list[str] = []
        self.outcome: Any = None  # None: commit; an exception: raise / return it
        self.batch_error: Exception | None = None
        self.up = True

    def _commit(self, s: Submission) -> Committed:
        c = Committed(tx_id=s.tx_id, block_number=len(self.committed) + 1, tx_index=0,
                      result={"paramKey": s.args[0]}, timestamp=datetime.now(UTC))
        self.committed[s.tx_id] = c
        return c

    def submit(self, s: Submission) -> Committed:
        (out,) = self.submit_batch([s])
        if isinstance(out, ChainError):
            raise out
        return out

    def submit_batch(self, subs: Sequence[Submission]) -> list[Committed | ChainError]:
        self.submitted.append([s.tx_id for s in subs])
        if self.batch_error is not None:
            raise self.batch_error
        if self.outcome is not None:
            return [self.outcome for _ in subs]
        return [DuplicateTransaction(s.tx_id) if s.tx_id in self.committed else self._commit(s)
                for s in subs]

    def transaction(self, tx_id: str) -> Committed | None:
        self.lookups.append(tx_id)
        if not self.up:
            raise TransientFailure("LEDGER_UNAVAILABLE", "down")
        return self.committed.get(tx_id)

    def height(self) -> int:
        if not self.up:
            raise TransientFailure("LEDGER_UNAVAILABLE", "down")
        return len(self.committed)


def claimed(n: int = 1, *, attempts: int = 0, claims: int = 1) -> list[Claimed]:
    return [
        Claimed(command_id=f"c{i}", command_type=SET_PARAM,
                payload={"stream": f"s{i}", "paramId": PARAM, "newValue": "3"},
                tx_id=f"tx{i}", aggregate_key=f"test-stream:s{i}", seq=i, attempts=attempts,
                failures=attempts, claims=claims, lease_token=uuid.uuid4())
        for i in range(n)
    ]


def submitter(ledger: ScriptedLedger) -> Submitter:
    return Submitter(ledger, owner="unit", policy=Policy(), catalogue=TEST_CATALOGUE)  # type: ignore[arg-type]


def test_batch_commits_each_command_once() -> None:
    ledger = ScriptedLedger()
    decisions = submitter(ledger).process(claimed(3))
    assert [d.status for d in decisions] == ["CONFIRMED"] * 3
    assert ledger.submitted == [["tx0", "tx1", "tx2"]]  # one batch call


def test_duplicate_tx_id_is_looked_up_and_confirmed() -> None:
    ledger = ScriptedLedger()
    s = Submission("AdminContract", "UpdateSystemParameter", [PARAM, "3"], "tx0")
    ledger._commit(s)
    (d,) = submitter(ledger).process(claimed(1))
    assert d.status == "CONFIRMED" and d.result == {"paramKey": PARAM}
    assert ledger.lookups == ["tx0"]


def test_unknown_previous_outcome_is_looked_up_before_resubmitting() -> None:
    ledger = ScriptedLedger()
    ledger._commit(Submission("AdminContract", "UpdateSystemParameter", [PARAM, "3"], "tx0"))
    (d,) = submitter(ledger).process(claimed(1, claims=2))
    assert d.status == "CONFIRMED" and ledger.submitted == []  # found: never resubmitted


def test_rejection_is_terminal() -> None:
    ledger = ScriptedLedger()
    ledger.outcome = BusinessRejection("NOT_FOUND", "no such parameter")
    (d,) = submitter(ledger).process(claimed(1))
    assert (d.status, d.attempts, d.error_code) == ("REJECTED", 1, "NOT_FOUND")


def test_whole_batch_failure_retries_every_command() -> None:
    ledger = ScriptedLedger()
    ledger.batch_error = RuntimeError("connection reset")
    decisions = submitter(ledger).process(claimed(2))
    assert [(d.status, d.attempts, d.error_code) for d in decisions] == [
        ("RETRYING", 1, "UNKNOWN_ERROR")] * 2


def test_outage_failures_are_not_attempts_even_the_first_one_after_recovery() -> None:
    ledger = ScriptedLedger()
    sub = submitter(ledger)
    ledger.batch_error = TransientFailure("LEDGER_UNAVAILABLE", "refused")
    ledger.up = False
    (d,) = sub.process(claimed(1))
    assert (d.status, d.attempts, d.failures) == ("RETRYING", 0, 1)
    # Still down: lookups are skipped (they would only wait for dead connections).
    (d,) = sub.process(claimed(1, claims=2))
    assert d.attempts == 0 and ledger.lookups == []
    # Back up, but this submission still died on a stale connection: not the command's fault.
    ledger.up = True
    (d,) = sub.process(claimed(1, claims=3))
    assert d.attempts == 0
    # From now on the ledger is known up: a failure counts.
    (d,) = sub.process(claimed(1, claims=4))
    assert d.attempts == 1
    ledger.batch_error = None
    (d,) = sub.process(claimed(1, attempts=1, claims=5))
    assert d.status == "CONFIRMED"


def test_unmappable_command_goes_dead_without_reaching_the_ledger() -> None:
    ledger = ScriptedLedger()
    (c,) = claimed(1)
    (d,) = submitter(ledger).process([replace(c, payload={"stream": "s"})])
    assert (d.status, d.error_code) == ("DEAD", "UNMAPPABLE_COMMAND")
    assert ledger.submitted == []
