"""Acceptance 2 and 3: the outbox and the chain listener run unchanged against the gateway.

- an endorsement rejection ends the command REJECTED; a gateway answering UNAVAILABLE for 20 s
  uses up no attempt and every command ends CONFIRMED once it answers again;
- the chain listener's event stream survives gateway restarts mid-stream: from its checkpoint,
  no event lost and none published twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from shared.chain.listener import ChainListener
from shared.chain.port import ServiceIdentity, Submission, TransientFailure, tx_id_for
from shared.outbox.policy import Policy
from shared.outbox.submit import Submitter
from tests.integration.fabric.conftest import make_ledger
from tests.integration.outbox.conftest import (  # noqa: F401 - fixtures
    TEST_CATALOGUE,
    commands,
    connect,
    outbox_dsn,
    put,
)


def _submitter(ledger, connect, owner: str) -> Submitter:  # type: ignore[no-untyped-def]  # noqa: F811
    return Submitter(ledger, owner=owner, catalogue=TEST_CATALOGUE, connect=connect,
                     policy=Policy(backoff_base_s=0.5, backoff_cap_s=2.0))


def test_rejection_outage_and_recovery_through_the_outbox(
    gateway, issued, pki, script, connect, outbox_dsn  # noqa: F811
) -> None:
    ledger = make_ledger(gateway, issued, pki, dsn=outbox_dsn)
    script.reject = lambda v: ("PARAM_OUT_OF_RANGE: 5000 > 1000" if v.args[1:] == ["5000"] else None)
    try:
        rejected = put(connect, "fab-reject", 5000)
        first = put(connect, "fab-ok", 7)
        _submitter(ledger, connect, "s0").drain(budget_s=5)
        rows = {r["id"]: r for r in commands(connect)}
        assert rows[rejected]["status"] == "REJECTED"
        assert rows[rejected]["error_code"] == "PARAM_OUT_OF_RANGE"
        assert rows[first]["status"] == "CONFIRMED"

        script.unavailable_until = time.monotonic() + 20.0
        ids = [put(connect, f"fab-outage{i}", i + 1) for i in range(6)]
        sweeper = _submitter(ledger, connect, "sweeper")
        done = threading.Event()

        def keep_sweeping() -> None:
            while not done.is_set():
                sweeper.drain(budget_s=1)
                time.sleep(0.2)

        worker = threading.Thread(target=keep_sweeping)
        worker.start()
        try:
            time.sleep(max(0.0, script.unavailable_until - time.monotonic() - 1.0))
            mid = {r["id"]: r for r in commands(connect)}
            assert all(mid[c]["status"] in ("PENDING", "RETRYING") for c in ids)
            assert all(mid[c]["attempts"] == 0 for c in ids), "an outage must not use attempts"
            deadline = script.unavailable_until + 20
            while time.monotonic() < deadline:
                if all(r["status"] == "CONFIRMED" for r in commands(connect) if r["id"] in ids):
                    break
                time.sleep(0.2)
        finally:
            done.set()
            worker.join()
        rows = {r["id"]: r for r in commands(connect)}
        assert all(rows[c]["status"] == "CONFIRMED" for c in ids)
        # one committed transaction per confirmed command, none twice
        assert len(gateway.servicer.records) == 1 + len(ids)
    finally:
        ledger.close()


def test_the_vertical_slice_commands_go_through_the_outbox_signed_by_their_roles(
    gateway, issued, pki, connect, outbox_dsn  # noqa: F811
) -> None:
    """Bootstrap, countries, users, genesis, a transfer: the real catalogue, the real Submitter."""
    from shared.chain.catalogue import get_command
    from shared.outbox import Command, enqueue

    ledger = make_ledger(gateway, issued, pki, dsn=outbox_dsn)
    slice_commands = [
        ("BOOTSTRAP_SYSTEM", {}),
        ("INITIALIZE_COUNTRY_DATA", {"countriesData": [
            {"code": "NG", "name": "Nigeria", "percentage": "0.5"}]}),
        ("CREATE_USER", {"userId": "NG_A", "biometricHash": "a" * 64, "nationality": "NG", "age": 30}),
        ("CREATE_USER", {"userId": "NG_B", "biometricHash": "b" * 64, "nationality": "NG", "age": 31}),
        ("DISTRIBUTE_GENESIS", {"userId": "NG_A", "nationality": "NG"}),
        ("TRANSFER_TOKENS", {"fromUserId": "NG_A", "toUserId": "NG_B", "amount": "100000000"}),
    ]
    try:
        ids = []
        for command_type, payload in slice_commands:
            with connect() as conn, conn.transaction():
                ids.append(enqueue(conn, Command(command_type, payload, principal_id="slice")).id)
        submitter = Submitter(ledger, owner="slice", connect=connect)
        for _ in range(10):
            submitter.drain(budget_s=2)
            rows = {r["id"]: r for r in commands(connect)}
            if all(rows[i]["status"] == "CONFIRMED" for i in ids):
                break
        rows = {r["id"]: r for r in commands(connect)}
        assert [rows[i]["status"] for i in ids] == ["CONFIRMED"] * len(ids)
        records = gateway.servicer.records
        # independent aggregates go in one parallel batch: compare without order
        assert sorted((r.contract, r.function, r.role) for r in records) == sorted(
            (get_command(t).contract, get_command(t).function, get_command(t).identity.value)
            for t, _ in slice_commands
        )
        (transfer,) = [r for r in records if r.function == "TransferWithFees"]
        assert transfer.args[:3] == ["NG_A", "NG_B", "100000000"]
        assert transfer.args[5] == rows[ids[-1]]["tx_id"]  # the outbox id as idempotency key
        assert gateway.servicer.rejected_signatures == 0
    finally:
        ledger.close()


class CollectingSink:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def send(self, event: Any) -> None:
        self.events.append(event)


def test_the_event_stream_resumes_after_gateway_restarts_without_loss(ledger, gateway) -> None:
    subs = [Submission("AdminContract", "UpdateSystemParameter", [f"param{i}", str(i)],
                       tx_id_for(str(uuid.uuid4())), identity=ServiceIdentity.ADMIN)
            for i in range(30)]
    committed = [c for c in ledger.submit_batch(subs)]
    expected = sorted((c.block_number, c.tx_index, c.tx_id) for c in committed)
    sink = CollectingSink()
    listener = ChainListener(ledger, sink, name=f"fabric-{uuid.uuid4().hex[:8]}", batch_size=7)
    restarts = 0
    polls = 0
    while len(sink.events) < len(expected) and polls < 60:
        polls += 1
        if polls in (2, 4):  # the gateway goes away between reads, mid-block
            gateway.stop()
            try:
                listener.poll_once()
                raise AssertionError("a stopped gateway cannot answer")
            except TransientFailure:
                pass
            gateway.start()
            restarts += 1
            time.sleep(0.6)  # the breaker's reset time
        try:
            listener.poll_once()
        except TransientFailure:
            time.sleep(0.2)
    got = [(int(e["blocknumber"]), int(e["txindex"]), e["txid"]) for e in sink.events]
    assert restarts == 2
    assert got == expected  # everything, in chain order, exactly once
    assert listener.checkpoint() == expected[-1][:2]


def test_a_stream_broken_mid_read_delivers_what_arrived_and_resumes_from_the_checkpoint(
    gateway, issued, pki
) -> None:
    from shared.chain.fabric import FabricSettings

    # A long idle time: the stream stays open, waiting for blocks, when the gateway goes away.
    ledger = make_ledger(gateway, issued, pki, settings=FabricSettings(
        events_idle_s=5.0, lookup_timeout_s=0.5, breaker_failures=2, breaker_reset_s=0.5))
    try:
        def batch(n: int) -> list[Any]:
            return ledger.submit_batch([
                Submission("AdminContract", "UpdateSystemParameter", [f"p{i}", "1"],
                           tx_id_for(str(uuid.uuid4())), identity=ServiceIdentity.ADMIN)
                for i in range(n)])

        before = batch(8)
        sink = CollectingSink()
        listener = ChainListener(ledger, sink, name=f"fabric-{uuid.uuid4().hex[:8]}")
        killer = threading.Timer(1.0, gateway.stop)  # while the listener's stream is open
        killer.start()
        started = time.monotonic()
        assert listener.poll_once() == len(before)
        assert time.monotonic() - started < 4.0  # ended by the broken stream, not the idle time
        killer.join()
        gateway.start()
        after = batch(5)
        time.sleep(0.6)
        while listener.poll_once() == 0:
            time.sleep(0.1)
        got = [e["txid"] for e in sink.events]
        expected = [c.tx_id for c in sorted(before + after, key=lambda c: (c.block_number, c.tx_index))]
        assert got == expected
    finally:
        ledger.close()
