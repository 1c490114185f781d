"""Acceptance tests of the write path (issue 4): crash, race, ledger outage.

All against real PostgreSQL and the real embedded ledger. The crash kills a real submitter
process after the ledger commit; the outage cuts the ledger's TCP connections for 30 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from shared.chain.embedded.ledger import EmbeddedLedger
from shared.chain.port import tx_id_for
from shared.outbox.policy import Policy
from shared.outbox.submit import DrainStats, Submitter

from .conftest import TEST_CATALOGUE, commands, ledger_tx_count, put
from .crashing_submitter import CRASH_EXIT
from .tcp_proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[3]


def make(ledger, connect, owner: str, **policy) -> Submitter:
    return Submitter(ledger, owner=owner, policy=Policy(**policy), catalogue=TEST_CATALOGUE,
                     connect=connect)


def test_crash_after_ledger_commit_ends_confirmed_with_one_transaction(
    ledger, connect, outbox_dsn
) -> None:
    cid = put(connect, "crash", 17)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.integration.outbox.crashing_submitter",
         outbox_dsn, ledger.schema, cid, "1.0"],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, timeout=60, check=False,
    )
    assert proc.returncode == CRASH_EXIT, proc.stderr.decode()[-2000:]
    # The ledger committed; the outbox still shows the command leased and unfinished.
    assert ledger.transaction(tx_id_for(cid)) is not None
    (row,) = commands(connect)
    assert row["status"] == "PENDING" and row["queued"]
    sweeper = make(ledger, connect, "sweeper", lease_s=30)
    assert sweeper.drain(budget_s=0.2, wait_for_due=False).claimed == 0  # lease still held
    time.sleep(1.1)
    stats = sweeper.drain(budget_s=10)
    assert stats.by_status == {"CONFIRMED": 1}
    (row,) = commands(connect)
    assert row["status"] == "CONFIRMED" and row["result"]["paramValue"] == "17"
    assert ledger_tx_count(ledger) == 1


def test_race_of_two_sweepers_and_the_event_submitter(ledger, connect) -> None:
    streams, per_stream = 100, 10
    ids = [put(connect, f"race{s}", v) for v in range(1, per_stream + 1) for s in range(streams)]
    results: list[DrainStats] = []
    lock = threading.Lock()

    def sweep(name: str) -> None:
        stats = make(ledger, connect, name, batch_size=100).drain(budget_s=60)
        with lock:
            results.append(stats)

    def on_events() -> None:
        submitter = make(ledger, connect, "event-submitter", batch_size=100)
        stats = DrainStats()
        for cid in ids:  # one command.enqueued event per command, in acceptance order
            stats.merge(submitter.submit_command(cid, follow_budget_s=0.5))
        with lock:
            results.append(stats)

    threads = [threading.Thread(target=sweep, args=(f"sweeper-{i}",)) for i in (1, 2)]
    threads.append(threading.Thread(target=on_events))
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    rows = commands(connect)
    assert {r["status"] for r in rows} == {"CONFIRMED"} and len(rows) == len(ids)
    assert ledger_tx_count(ledger) == len(ids)  # every command committed exactly once
    assert sum(s.by_status.get("CONFIRMED", 0) for s in results) == len(ids)
    assert sum(s.lost_leases for s in results) == 0
    for s in range(streams):
        seq = [r for r in rows if r["aggregate_key"] == f"test-stream:race{s}"]
        positions = [ledger.transaction(r["tx_id"]) for r in seq]
        order = [(p.block_number, p.tx_index) for p in positions]  # type: ignore[union-attr]
        assert order == sorted(order), f"stream race{s} out of order"
    print(f"\nrace: {len(ids)} commands in {elapsed:.2f}s = {len(ids) / elapsed:.0f}/s")


def test_ledger_outage_backs_off_and_recovers_without_dead_commands(
    ledger, connect, outbox_dsn
) -> None:
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(outbox_dsn)
    host, port = str(info.get("host") or "127.0.0.1"), int(info.get("port") or 5432)
    # The embedded server listens on a Unix socket only; a real one on TCP.
    proxy = TcpProxy(f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port))
    proxy.start()
    info.update(host="127.0.0.1", port=str(proxy.port))
    proxy_dsn = psycopg.conninfo.make_conninfo(**info)
    # A short pool timeout: an unreachable ledger fails each call in 2 s instead of 10.
    via_proxy = EmbeddedLedger(proxy_dsn, ledger.schema, pool_timeout=2.0)
    try:
        rejected = put(connect, "outage-reject", 5000)
        ids = [put(connect, f"outage{s}", v) for v in (1, 2) for s in range(10)]
        proxy.stop()  # the ledger is unreachable from here on
        outage_started = time.monotonic()
        sweeper = make(via_proxy, connect, "sweeper", backoff_base_s=1.0, backoff_cap_s=16.0)
        done = threading.Event()

        def keep_sweeping() -> None:
            while not done.is_set():
                sweeper.drain(budget_s=2)
                time.sleep(0.2)

        worker = threading.Thread(target=keep_sweeping)
        worker.start()
        time.sleep(max(0.0, 30 - (time.monotonic() - outage_started)))
        mid = commands(connect)
        assert {r["status"] for r in mid} <= {"PENDING", "RETRYING"}
        assert all(r["attempts"] == 0 for r in mid), "an outage must not consume attempts"
        assert any(r["status"] == "RETRYING" for r in mid)
        proxy.start()
        restored = time.monotonic()
        # Backoff is capped at 16 s (+ jitter) and the ledger's pool restarts its reconnect chain every 5 s
        # (RECONNECT_WINDOW_S), so allow up to 40 s; typically all are finished well within 20 s.
        deadline = restored + 40
        while time.monotonic() < deadline:
            rows = commands(connect)
            if all(r["status"] in ("CONFIRMED", "REJECTED") for r in rows):
                break
            time.sleep(0.25)
        print(f"\noutage: recovered {time.monotonic() - restored:.1f}s after the ledger returned")
        done.set()
        worker.join()
    finally:
        proxy.close()
        via_proxy.close()  # stop its reconnect attempts once the test is over
    rows = {r["id"]: r for r in commands(connect)}
    assert rows[rejected]["status"] == "REJECTED" and rows[rejected]["attempts"] == 1
    assert all(rows[c]["status"] == "CONFIRMED" for c in ids)
    assert not any(r["status"] == "DEAD" for r in rows.values())
    assert ledger_tx_count(ledger) == len(ids)
