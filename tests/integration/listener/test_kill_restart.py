"""Acceptance 2: `gx chain-listener` killed (SIGKILL) at random points and restarted 20 times
while a 500-transaction history is being committed: the read models equal those of an
uninterrupted run, and no event is lost or applied twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from shared import db
from tests.integration.projector.harness import (
    ProjectorSink,
    all_events,
    build_history,
    cloud_event,
    deliver,
    ledger_balances,
    new_ledger,
    private_database,
    random_operations,
    reset_read_models,
    snapshot,
)

ROOT = Path(__file__).resolve().parents[3]


def _listener(dsn: str, schema: str, sink: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GX_DATABASE_URL": dsn, "GX_LEDGER_SCHEMA": schema, "GX_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "chain-listener", "--sink", sink, "--poll", "0.05",
         "--batch", "25"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _wait_until_polling(since: object) -> None:
    """Until a listener started after `since` has recorded a poll (it is past its start-up)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        row = db.fetch_one("SELECT observed_at > %s AS polled FROM chain_heights", (since,))
        if row and row["polled"]:
            return
        time.sleep(0.02)
    raise AssertionError("the listener never polled")


def _checkpoint() -> tuple[int, int] | None:
    row = db.fetch_one("SELECT block_number, tx_index FROM chain_checkpoints")
    return (row["block_number"], row["tx_index"]) if row else None


def _wait_for_progress(since: tuple[int, int] | None, limit: float = 1.5) -> None:
    """Until this incarnation has published something (or `limit` seconds: caught up)."""
    deadline = time.monotonic() + limit
    while _checkpoint() == since and time.monotonic() < deadline:
        time.sleep(0.01)


def test_killed_and_restarted_listener_loses_nothing() -> None:
    rng = random.Random(20261121)
    with private_database() as dsn:
        ledger = new_ledger(dsn)
        try:
            # The first part of the history exists before the listener starts; the rest is
            # committed while it is being killed and restarted: ~70 blocks paced over ~25 s, as
            # long as the 20 incarnations take on a fast machine (unpaced, a fast machine
            # committed it all during the first few and the rest were killed at its end).
            users = build_history(ledger, rng, users=12, operations=60, extended=True)
            producer = threading.Thread(
                target=random_operations, args=(ledger, users, random.Random(5)),
                kwargs={"operations": 420, "batch": 6, "pace_s": 0.35},
            )
            with ProjectorSink() as sink:
                producer.start()
                killed_at: list[tuple[int, int] | None] = []
                for _ in range(20):
                    started = db.fetch_one("SELECT clock_timestamp() AS t")["t"]
                    proc = _listener(dsn, ledger.schema, sink.url)
                    _wait_until_polling(started)
                    _wait_for_progress(killed_at[-1] if killed_at else None)
                    time.sleep(rng.uniform(0.0, 0.3))  # a random point in its stream
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(10)
                    killed_at.append(_checkpoint())
                # The kills hit a listener in the middle of its stream, at many positions.
                assert len({k for k in killed_at if k is not None}) >= 8
                producer.join(120)
                assert not producer.is_alive()
                events = all_events(ledger)
                assert len(events) >= 500
                started = db.fetch_one("SELECT clock_timestamp() AS t")["t"]
                final = _listener(dsn, ledger.schema, sink.url)
                try:
                    _wait_until_polling(started)
                    deadline = time.monotonic() + 120
                    while time.monotonic() < deadline:
                        if _checkpoint() == events[-1].position:
                            break
                        time.sleep(0.2)
                    else:
                        raise AssertionError("the restarted listener did not catch up")
                finally:
                    final.send_signal(signal.SIGTERM)
                    assert final.wait(20) == 0  # a graceful stop

            # No event lost, none applied twice: every event processed exactly once by its consumer.
            processed = db.fetch_all("SELECT consumer, event_id FROM processed_events")
            assert sorted(r["event_id"] for r in processed) == sorted(
                f"{e.tx_id}:0" for e in events
            )
            assert db.fetch_one("SELECT count(*) AS n FROM event_dead_letters")["n"] == 0
            killed = snapshot(dsn)
            accounts = [r["account_id"] for r in db.fetch_all("SELECT account_id FROM rm_accounts")]
            balances = {r["account_id"]: int(r["balance"])
                        for r in db.fetch_all("SELECT account_id, balance FROM rm_accounts")}
            assert balances == ledger_balances(ledger, accounts)

            # The uninterrupted run: the same events, once, in order.
            reset_read_models(dsn)
            for event in events:
                assert deliver(cloud_event(event)) < 300
            assert snapshot(dsn) == killed
        finally:
            ledger.drop()
