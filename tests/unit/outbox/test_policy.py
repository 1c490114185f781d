"""The outbox's pure decisions: classification, attempt counting, backoff with jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.chain.port import BusinessRejection, Committed, TransientFailure
from shared.outbox.policy import ERROR_MESSAGE_MAX, Policy, backoff_s, decide

POLICY = Policy(max_attempts=5, backoff_base_s=1.0, backoff_cap_s=16.0, jitter=0.2)


def test_committed_is_confirmed_with_block_and_result() -> None:
    committed = Committed(tx_id="t", block_number=7, tx_index=0, result={"loanId": "LOAN_1"},
                          timestamp=datetime.now(UTC))
    d = decide("c1", attempts=0, failures=0, outcome=committed, policy=POLICY)
    assert (d.status, d.attempts, d.block_number, d.result) == ("CONFIRMED", 1, 7, {"loanId": "LOAN_1"})
    assert d.terminal and d.error_code is None


def test_business_rejection_is_terminal_after_one_attempt() -> None:
    d = decide("c1", attempts=0, failures=0,
               outcome=BusinessRejection("INSUFFICIENT_FUNDS", "balance too low"), policy=POLICY)
    assert (d.status, d.attempts, d.error_code) == ("REJECTED", 1, "INSUFFICIENT_FUNDS")
    assert d.terminal and d.retry_in_s is None


def test_transient_failure_retries_then_dies_at_the_limit() -> None:
    attempts = failures = 0
    statuses = []
    for _ in range(5):
        d = decide("c1", attempts=attempts, failures=failures,
                   outcome=TransientFailure("UNAVAILABLE", "down"), policy=POLICY)
        statuses.append(d.status)
        attempts, failures = d.attempts, d.failures
    assert statuses == ["RETRYING"] * 4 + ["DEAD"]
    assert attempts == 5


def test_failure_that_never_reached_the_ledger_is_not_an_attempt() -> None:
    breaker = TransientFailure("CIRCUIT_OPEN", "open", counts_as_attempt=False)
    d = decide("c1", attempts=4, failures=9, outcome=breaker, policy=POLICY)
    assert (d.status, d.attempts, d.failures) == ("RETRYING", 4, 10)
    d = decide("c1", attempts=4, failures=9, outcome=TransientFailure("X", "y"),
               reached_ledger=False, policy=POLICY)
    assert (d.status, d.attempts) == ("RETRYING", 4)


def test_unknown_exception_is_transient() -> None:
    d = decide("c1", attempts=0, failures=0, outcome=RuntimeError("boom"), policy=POLICY)
    assert d.status == "RETRYING" and d.error_code == "UNKNOWN_ERROR"
    assert "boom" in (d.error_message or "")


def test_error_message_is_truncated() -> None:
    d = decide("c1", attempts=0, failures=0,
               outcome=BusinessRejection("X", "m" * 5000), policy=POLICY)
    assert len(d.error_message or "") == ERROR_MESSAGE_MAX


def test_backoff_doubles_from_one_second_and_is_capped() -> None:
    no_jitter = Policy(jitter=0.0)
    assert [backoff_s(n, no_jitter) for n in range(1, 8)] == [1, 2, 4, 8, 16, 16, 16]


@settings(max_examples=200, deadline=None)
@given(failures=st.integers(min_value=1, max_value=50), seed=st.integers())
def test_backoff_jitter_stays_within_bounds(failures: int, seed: int) -> None:
    nominal = min(16.0, 2.0 ** (failures - 1))
    delay = backoff_s(failures, POLICY, random.Random(seed))
    assert nominal * 0.8 - 1e-9 <= delay <= nominal * 1.2 + 1e-9


def test_jitter_spreads_retries() -> None:
    rng = random.Random(1)
    delays = {round(backoff_s(3, POLICY, rng), 6) for _ in range(20)}
    assert len(delays) > 10
