"""Enqueue, claim and finalise against real PostgreSQL (no ledger involved)."""

from __future__ import annotations

import threading
import time

import pytest

from shared.chain.port import tx_id_for
from shared.outbox import Command, enqueue
from shared.outbox.claim import claim, finalise, new_lease
from shared.outbox.enqueue import RequestIdConflict
from shared.outbox.policy import Decision

from .conftest import PARAM, SET_PARAM, TEST_CATALOGUE, commands, put


def test_enqueue_stores_a_pending_command_with_derived_tx_id(connect) -> None:
    cid = put(connect, "s1", 5)
    (row,) = commands(connect)
    assert row["id"] == cid and row["status"] == "PENDING" and row["queued"]
    assert row["tx_id"] == tx_id_for(cid)
    assert row["aggregate_key"] == "test-stream:s1"
    assert row["payload"] == {"stream": "s1", "paramId": PARAM, "newValue": "5"}
    assert row["principal_id"] == "tester" and row["request_id"].startswith("server:")


def test_enqueue_needs_the_callers_transaction(connect) -> None:
    with connect() as conn, pytest.raises(RuntimeError):
        enqueue(conn, Command(SET_PARAM, {"stream": "s", "paramId": PARAM, "newValue": "1"}),
                catalogue=TEST_CATALOGUE)
    assert commands(connect) == []


def test_rolled_back_transaction_leaves_no_command(connect) -> None:
    with connect() as conn, pytest.raises(RuntimeError), conn.transaction():
        enqueue(conn, Command(SET_PARAM, {"stream": "s", "paramId": PARAM, "newValue": "1"}),
                catalogue=TEST_CATALOGUE)
        raise RuntimeError("the service fails after enqueueing")
    assert commands(connect) == []


def test_same_request_id_returns_the_first_command(connect) -> None:
    first = put(connect, "s", 1, request_id="req-1")
    again = put(connect, "s", 1, request_id="req-1")
    assert again == first and len(commands(connect)) == 1
    with pytest.raises(RequestIdConflict):
        put(connect, "s", 2, request_id="req-1")


def test_claim_takes_only_the_head_of_each_aggregate_in_accepted_order(connect) -> None:
    a1, a2, b1 = put(connect, "a", 1), put(connect, "a", 2), put(connect, "b", 1)
    with connect() as conn:
        got = claim(conn, new_lease("w1", 60), limit=10)
        assert [c.command_id for c in got] == [a1, b1]
        # a2 waits for a1 even though it is due and unleased.
        assert claim(conn, new_lease("w2", 60), limit=10) == []
        token = got[0].lease_token
        finalise(conn, token, [Decision(a1, "CONFIRMED", 1, 0, block_number=1)])
        (nxt,) = claim(conn, new_lease("w2", 60), limit=10)
    assert nxt.command_id == a2


def test_concurrent_claimers_never_share_a_command(connect) -> None:
    ids = {put(connect, f"s{i}", i % 900 + 1) for i in range(300)}
    seen: list[str] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while True:
            with connect() as conn:
                got = claim(conn, new_lease(name, 60), limit=7)
            if not got:
                return
            with lock:
                seen.extend(c.command_id for c in got)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == len(set(seen)) == len(ids)
    assert set(seen) == ids


def test_expired_lease_makes_a_command_claimable_and_fences_the_old_owner(connect) -> None:
    cid = put(connect, "s", 1)
    with connect() as conn:
        (first,) = claim(conn, new_lease("crashy", 0.3), limit=1)
        assert not first.outcome_unknown
        assert claim(conn, new_lease("other", 60), limit=1) == []
        time.sleep(0.4)
        (second,) = claim(conn, new_lease("other", 60), limit=1)
        assert second.command_id == cid and second.outcome_unknown
        # The crashed owner wakes up: its write is refused, the new owner's is kept.
        assert finalise(conn, first.lease_token, [Decision(cid, "REJECTED", 1, 0)]) == []
        written = finalise(conn, second.lease_token, [Decision(cid, "CONFIRMED", 1, 0, block_number=3)])
    assert [r["status"] for r in written] == ["CONFIRMED"]
    (row,) = commands(connect)
    assert row["status"] == "CONFIRMED" and not row["queued"] and row["finished_at"]


def test_retry_waits_for_its_backoff(connect) -> None:
    cid = put(connect, "s", 1)
    with connect() as conn:
        (c,) = claim(conn, new_lease("w", 60), limit=1)
        finalise(conn, c.lease_token, [Decision(cid, "RETRYING", 1, 1, error_code="X",
                                                error_message="down", retry_in_s=0.5)])
        assert claim(conn, new_lease("w", 60), limit=1) == []
        (row,) = commands(connect)
        assert row["status"] == "RETRYING" and row["attempts"] == 1 and row["queued"]
        time.sleep(0.6)
        (again,) = claim(conn, new_lease("w", 60), limit=1)
    assert again.command_id == cid and again.attempts == 1 and again.failures == 1


def test_claim_can_target_one_command_and_one_type(connect) -> None:
    a, b = put(connect, "a", 1), put(connect, "b", 1)
    with connect() as conn:
        assert [c.command_id for c in claim(conn, new_lease("w", 60), limit=5, command_id=b)] == [b]
        assert claim(conn, new_lease("w", 60), limit=5, types=["OTHER_TYPE"]) == []
        assert [c.command_id for c in claim(conn, new_lease("w", 60), limit=5, types=[SET_PARAM])] == [a]


def test_a_second_command_on_a_busy_aggregate_takes_its_sequence_only_after_the_first_commits(
    connect,  # type: ignore[no-untyped-def]
) -> None:
    """Accepted order must be commit order per aggregate: a command whose transaction is still
    open holds its aggregate, and a second one gets no sequence number until the first commits
    (otherwise the second could commit first and be claimed ahead of it)."""

    def command(value: str) -> Command:
        return Command(SET_PARAM, {"stream": "busy", "paramId": PARAM, "newValue": value},
                       principal_id="tester")

    seqs: dict[str, int] = {}
    with connect() as first, first.transaction():
        a = enqueue(first, command("1"), catalogue=TEST_CATALOGUE)
        with connect() as probe:
            after_first = probe.execute("SELECT last_value FROM outbox_accept_seq").fetchone()

        def second() -> None:
            with connect() as conn, conn.transaction():
                b = enqueue(conn, command("2"), catalogue=TEST_CATALOGUE)
                seqs[b.id] = conn.execute("SELECT aggregate_seq FROM outbox_commands"
                                          " WHERE id = %s", (b.id,)).fetchone()["aggregate_seq"]

        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive()  # waiting on the first's aggregate
        with connect() as probe:
            assert probe.execute("SELECT last_value FROM outbox_accept_seq").fetchone() == after_first
        seqs[a.id] = first.execute("SELECT aggregate_seq FROM outbox_commands WHERE id = %s",
                                   (a.id,)).fetchone()["aggregate_seq"]
    waiter.join(10)
    assert not waiter.is_alive() and len(seqs) == 2
    assert seqs[a.id] < max(seqs.values())
