"""Submitting to the real embedded ledger: outcomes, classification, lookups, status, re-drive."""

from __future__ import annotations

import time

from shared.chain.port import Submission, tx_id_for
from shared.outbox import status
from shared.outbox.policy import Policy
from shared.outbox.submit import Submitter

from .conftest import PARAM, TEST_CATALOGUE, commands, ledger_tx_count, put

FAST = Policy(backoff_base_s=0.05, backoff_cap_s=0.2, lease_s=30, batch_size=50)


def submitter(ledger, connect, owner: str = "test", policy: Policy = FAST) -> Submitter:
    return Submitter(ledger, owner=owner, policy=policy, catalogue=TEST_CATALOGUE, connect=connect)


def test_committed_command_is_confirmed_with_block_and_result(ledger, connect) -> None:
    cid = put(connect, "s", 42)
    stats = submitter(ledger, connect).submit_command(cid)
    assert stats.by_status == {"CONFIRMED": 1}
    (row,) = commands(connect)
    assert (row["status"], row["attempts"], row["queued"]) == ("CONFIRMED", 1, False)
    committed = ledger.transaction(tx_id_for(cid))
    assert committed is not None and row["block_number"] == committed.block_number
    assert row["result"] == {"paramKey": PARAM, "paramValue": "42"}
    with connect() as conn:
        view = status.get_status(conn, cid, tenant="default", viewer="tester", admin=False)
    assert view.status == "CONFIRMED"
    assert view.result is not None and view.result.tx_id == tx_id_for(cid)
    assert view.result.ids == {"paramKey": PARAM, "paramValue": "42"}
    assert ledger_tx_count(ledger) == 1


def test_business_rejection_is_rejected_after_exactly_one_attempt(ledger, connect) -> None:
    cid = put(connect, "s", 5000)  # out of the parameter's bounds: the chain refuses
    submitter(ledger, connect).drain(budget_s=5)
    (row,) = commands(connect)
    assert (row["status"], row["attempts"], row["queued"]) == ("REJECTED", 1, False)
    assert row["error_code"] and row["error_message"]
    with connect() as conn:
        view = status.get_status(conn, cid, tenant="default", viewer="tester", admin=False)
    assert view.status == "REJECTED" and view.error is not None and view.result is None
    assert ledger_tx_count(ledger) == 0


def test_a_rejection_does_not_block_its_aggregate(ledger, connect) -> None:
    put(connect, "s", 5000)
    ok = put(connect, "s", 7)
    submitter(ledger, connect).drain(budget_s=5)
    assert [r["status"] for r in commands(connect)] == ["REJECTED", "CONFIRMED"]
    assert ledger.transaction(tx_id_for(ok)) is not None


def test_already_committed_tx_is_confirmed_not_applied_again(ledger, connect) -> None:
    cid = put(connect, "s", 9)
    # An earlier attempt reached the ledger, then its worker died before finalising.
    ledger.submit(Submission("AdminContract", "UpdateSystemParameter", [PARAM, "9"],
                             tx_id_for(cid), identity=TEST_CATALOGUE["OUTBOX_TEST_SET_PARAM"].identity))
    submitter(ledger, connect).drain(budget_s=5)
    (row,) = commands(connect)
    assert row["status"] == "CONFIRMED" and row["result"] == {"paramKey": PARAM, "paramValue": "9"}
    assert ledger_tx_count(ledger) == 1


def test_status_is_hidden_from_other_users_but_not_admins(ledger, connect) -> None:
    cid = put(connect, "s", 3, principal="owner-1")
    import pytest

    from shared.errors import NotFound

    with connect() as conn:
        assert status.get_status(conn, cid, tenant="default", viewer="owner-1", admin=False).status == "PENDING"
        assert status.get_status(conn, cid, tenant="default", viewer="someone", admin=True).status == "PENDING"
        with pytest.raises(NotFound):
            status.get_status(conn, cid, tenant="default", viewer="someone", admin=False)
        with pytest.raises(NotFound):
            status.get_status(conn, "no-such-id", tenant="default", viewer="owner-1", admin=True)


def test_dead_command_is_listed_and_can_be_redriven(ledger, connect) -> None:
    cid = put(connect, "s", 11)
    # Make it dead the way the submitter does: a command type the catalogue no longer knows.
    with connect() as conn:
        conn.execute("UPDATE outbox_commands SET command_type = 'GONE' WHERE id = %s", (cid,))
        conn.execute("UPDATE outbox_queue SET command_type = 'GONE' WHERE command_id = %s", (cid,))
    Submitter(ledger, owner="t", policy=FAST, connect=connect).drain(budget_s=2)
    (row,) = commands(connect)
    assert (row["status"], row["error_code"], row["queued"]) == ("DEAD", "UNMAPPABLE_COMMAND", False)
    with connect() as conn:
        page = status.list_dead(conn, tenant="default", limit=10, cursor=None)
        assert [i.command_id for i in page.items] == [cid]
        conn.execute("UPDATE outbox_commands SET command_type = %s WHERE id = %s",
                     ("OUTBOX_TEST_SET_PARAM", cid))
        with conn.transaction():
            status.redrive(conn, cid, tenant="default")
    submitter(ledger, connect).drain(budget_s=5)
    (row,) = commands(connect)
    assert row["status"] == "CONFIRMED" and ledger_tx_count(ledger) == 1


def test_batches_keep_per_aggregate_order(ledger, connect) -> None:
    ids = {s: [put(connect, f"agg{s}", v) for v in range(1, 6)] for s in range(10)}
    started = time.monotonic()
    stats = submitter(ledger, connect).drain(budget_s=30)
    assert time.monotonic() - started < 30
    assert stats.by_status == {"CONFIRMED": 50}
    for seq in ids.values():
        positions = [ledger.transaction(tx_id_for(c)) for c in seq]
        assert all(p is not None for p in positions)
        order = [(p.block_number, p.tx_index) for p in positions]  # type: ignore[union-attr]
        assert order == sorted(order) and len(set(order)) == len(order)


def test_metrics_follow_outcomes_and_the_queue(ledger, connect) -> None:
    from prometheus_client import REGISTRY

    from shared.outbox import metrics

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample("gx_outbox_outcomes_total", type="OUTBOX_TEST_SET_PARAM", status="CONFIRMED")
    batches = sample("gx_outbox_submit_duration_seconds_count", mode="batch")
    put(connect, "m1", 1), put(connect, "m2", 2)
    with connect() as conn:
        depth, age = metrics.refresh(conn)
    assert depth == 2 and age >= 0
    assert sample("gx_outbox_queue_depth") == 2
    submitter(ledger, connect).drain(budget_s=5)
    with connect() as conn:
        assert metrics.refresh(conn) == (0, 0.0)
    assert sample("gx_outbox_outcomes_total", type="OUTBOX_TEST_SET_PARAM",
                  status="CONFIRMED") == before + 2
    assert sample("gx_outbox_submit_duration_seconds_count", mode="batch") == batches + 1
    assert sample("gx_outbox_oldest_claimable_age_seconds") == 0
