"""Short leases (audit finding 5): renewed while a submission lives, taken over when it does not.

Against real PostgreSQL and the real embedded ledger. A slow ledger call keeps its lease however
long it takes; a submitter frozen with SIGSTOP (a stalled VM, a long GC pause) loses it, another
worker takes the command over, and the command still applies exactly once whether the frozen one
had reached the ledger or not. After a crash the next claimer is waiting and takes the command
as soon as the lease runs out.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from shared.chain.embedded.ledger import EmbeddedLedger
from shared.chain.port import tx_id_for
from shared.outbox.claim import new_lease, renew
from shared.outbox.heartbeat import Heartbeat
from shared.outbox.policy import Policy
from shared.outbox.submit import DrainStats, Submitter

from .conftest import TEST_CATALOGUE, commands, ledger_tx_count, put
from .crashing_submitter import CRASH_EXIT
from .stalling_submitter import OWNER

ROOT = Path(__file__).resolve().parents[3]


class CountingLedger:
    """The real ledger, counting the submissions made through it."""

    def __init__(self, ledger: EmbeddedLedger, delay_s: float = 0.0) -> None:
        self.ledger, self.delay_s = ledger, delay_s
        self.submitted: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledger, name)

    def submit(self, submission: Any) -> Any:
        self.submitted.append(submission.tx_id)
        time.sleep(self.delay_s)  # a slow ledger
        return self.ledger.submit(submission)

    def submit_batch(self, submissions: Any) -> Any:
        self.submitted.extend(s.tx_id for s in submissions)
        time.sleep(self.delay_s)
        return self.ledger.submit_batch(submissions)


def make(ledger: Any, connect: Any, owner: str, **policy: Any) -> Submitter:
    return Submitter(ledger, owner=owner, policy=Policy(**policy), catalogue=TEST_CATALOGUE,
                     connect=connect)


def lease_of(connect: Any, cid: str) -> dict[str, Any] | None:
    with connect() as conn:
        return conn.execute(  # type: ignore[no-any-return]
            "SELECT lease_owner, claims, lease_expires_at - now() AS left FROM outbox_queue"
            " WHERE command_id = %s", (cid,)).fetchone()


def wait_until(check: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_renewal_extends_only_our_lease(connect) -> None:
    cid = put(connect, "renew", 3)
    other = put(connect, "renew-other", 4)
    mine = new_lease("me", 2.0)
    with connect() as conn:
        conn.execute("UPDATE outbox_queue SET lease_owner = 'me', lease_token = %s,"
                     " lease_expires_at = now() + interval '1 second' WHERE command_id = %s",
                     (mine.token, cid))
        assert renew(conn, mine, [cid, other]) == [cid]  # the other is not ours
        assert renew(conn, new_lease("thief", 2.0), [cid]) == []
    row = lease_of(connect, cid)
    assert row is not None and row["left"].total_seconds() > 1.5


def test_a_slow_ledger_call_keeps_its_lease_and_nobody_else_submits(ledger, connect) -> None:
    cid = put(connect, "slow", 11)
    slow = CountingLedger(ledger, delay_s=4.5)  # three leases long
    results: list[DrainStats] = []
    worker = threading.Thread(
        target=lambda: results.append(make(slow, connect, "slow", lease_s=1.5).drain(budget_s=1)))
    worker.start()
    wait_until(lambda: slow.submitted, 10, "the slow submission to start")
    rival = CountingLedger(ledger)
    others = make(rival, connect, "rival", lease_s=1.5)
    while worker.is_alive():
        assert others.drain(budget_s=0.1, wait_for_due=False).claimed == 0
        row = lease_of(connect, cid)
        assert row is None or row["lease_owner"] == "slow"
        time.sleep(0.1)
    worker.join()
    (stats,) = results
    assert stats.by_status == {"CONFIRMED": 1} and stats.lost_leases == 0
    assert rival.submitted == []
    (row,) = commands(connect)
    assert row["status"] == "CONFIRMED" and row["attempts"] == 1
    assert ledger_tx_count(ledger) == 1


def stalling(outbox_dsn: str, schema: str, cid: str, when: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.outbox.stalling_submitter",
         outbox_dsn, schema, cid, "1.0", when, "2.0"],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_frozen_submitter_loses_its_lease_and_the_command_applies_once(
    ledger, connect, outbox_dsn, when
) -> None:
    """Frozen before its ledger call reached the ledger (`before`): the new owner's lookup finds
    nothing, it submits and confirms, and the thawed one's submission is a duplicate. Frozen
    after its call committed (`after`): the new owner finds the transaction and confirms it
    without submitting. Either way the thawed one's finalise writes nothing."""
    cid = put(connect, f"frozen-{when}", 23)
    proc = stalling(outbox_dsn, ledger.schema, cid, when)
    try:
        wait_until(lambda: (r := lease_of(connect, cid)) and r["lease_owner"] == OWNER, 30,
                   "the stalling submitter to claim")
        if when == "after":
            wait_until(lambda: ledger.transaction(tx_id_for(cid)), 10, "its ledger commit")
        else:
            time.sleep(0.3)  # inside its slow call, not yet at the ledger
            assert ledger.transaction(tx_id_for(cid)) is None
        os.kill(proc.pid, signal.SIGSTOP)
        frozen = time.monotonic()
        rival = CountingLedger(ledger)
        stats = make(rival, connect, "taker", lease_s=1.0).drain(budget_s=10)
        took = time.monotonic() - frozen
        assert stats.by_status == {"CONFIRMED": 1}, stats
        assert took < 1.0 + 1.5, f"took over {took:.1f} s after the freeze with a 1 s lease"
        assert rival.submitted == ([] if when == "after" else [tx_id_for(cid)])
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    thawed = json.loads(out.strip().splitlines()[-1])
    assert thawed["claimed"] == 1 and thawed["lost_leases"] == 1 and thawed["by_status"] == {}
    (row,) = commands(connect)
    committed = ledger.transaction(tx_id_for(cid))
    assert committed is not None
    assert row["status"] == "CONFIRMED" and row["block_number"] == committed.block_number
    assert row["result"]["paramValue"] == "23"
    assert ledger_tx_count(ledger) == 1


def test_after_a_crash_the_waiting_claimer_settles_by_lookup_as_the_lease_runs_out(
    ledger, connect, outbox_dsn
) -> None:
    """The crashed worker committed on the ledger and died before finalising. A claimer already
    waiting (the redelivered announcement's drain) takes the command when the lease runs out,
    finds the transaction by its tx id and confirms it: not resubmitted, not left PENDING."""
    cid = put(connect, "crash-wait", 29)
    lease_s = 2.0
    proc = subprocess.run(
        [sys.executable, "-m", "tests.integration.outbox.crashing_submitter",
         outbox_dsn, ledger.schema, cid, str(lease_s)],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, timeout=60, check=False,
    )
    crashed = time.monotonic()
    assert proc.returncode == CRASH_EXIT, proc.stderr.decode()[-2000:]
    row = lease_of(connect, cid)
    assert row is not None and row["claims"] == 1
    rival = CountingLedger(ledger)
    stats = make(rival, connect, "waiting", lease_s=lease_s).drain(budget_s=lease_s + 10)
    settled = time.monotonic() - crashed
    assert stats.by_status == {"CONFIRMED": 1}
    assert rival.submitted == []
    assert settled < lease_s + 1.5, f"settled {settled:.1f} s after the crash"
    (row,) = commands(connect)
    assert row["status"] == "CONFIRMED" and row["result"]["paramValue"] == "29"
    assert ledger_tx_count(ledger) == 1
    print(f"\ncrash -> confirmed by lookup: {settled:.2f} s with a {lease_s:.0f} s lease")


def test_heartbeat_reports_a_lease_taken_over(connect) -> None:
    cid = put(connect, "beat", 5)
    lease = new_lease("beater", 3.0)
    with connect() as conn:
        conn.execute("UPDATE outbox_queue SET lease_owner = 'beater', lease_token = %s,"
                     " lease_expires_at = now() + interval '3 seconds' WHERE command_id = %s",
                     (lease.token, cid))
    with Heartbeat(connect, lease, [cid], every_s=0.1) as beat:
        wait_until(lambda: beat.renewals >= 2, 5, "two renewals")
        assert beat.lost == []
        with connect() as conn:  # another worker took it over
            conn.execute("UPDATE outbox_queue SET lease_token = gen_random_uuid()"
                         " WHERE command_id = %s", (cid,))
        wait_until(lambda: beat.lost, 5, "the loss to be noticed")
    assert beat.lost == [cid]
