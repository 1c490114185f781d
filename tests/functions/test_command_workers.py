"""The two outbox CloudEvent functions, loaded as Knative runs them, on an isolated database.

The settings point at the outbox tests' own database and a fresh ledger schema for the duration
of each test, so these workers only ever see commands this module put there.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from shared import db
from shared.chain import port
from shared.config import reset_settings
from tests.helpers import client_for
from tests.integration.outbox.conftest import connect, outbox_dsn, put

__all__ = ["connect", "outbox_dsn"]


@pytest.fixture
def isolated(outbox_dsn: str, connect, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    schema = f"ledger_fx{secrets.token_hex(3)}"
    monkeypatch.setenv("GX_DATABASE_URL", outbox_dsn)
    monkeypatch.setenv("GX_LEDGER_SCHEMA", schema)
    reset_settings()
    port._ledger.cache_clear()
    try:
        yield schema
    finally:
        with db.connection(outbox_dsn) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        monkeypatch.undo()
        reset_settings()
        port._ledger.cache_clear()


def event(event_type: str, data: object, *, structured: bool = False):  # type: ignore[no-untyped-def]
    ce = CloudEvent({"type": event_type, "source": "/test", "id": secrets.token_hex(8)}, data)
    return to_structured(ce) if structured else to_binary(ce)


def post(name: str, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
    return client_for(name).post("/", headers=headers, data=body)


def test_submit_command_acknowledges_malformed_and_unknown_events(isolated: str) -> None:
    for data in ({}, {"commandId": 5}, "nonsense", {"commandId": "no-such-command"}):
        headers, body = event("org.gxcoin.command.enqueued.v1", data)
        assert post("submit_command", headers, body).status_code == 200


def test_sweep_tick_finalises_what_the_catalogue_cannot_map(isolated: str, connect) -> None:
    cid = put(connect, "w", 4)  # a test-only type, unknown to the deployed catalogue
    headers, body = event("dev.knative.sources.ping", {"tick": 1}, structured=True)
    assert post("sweep_outbox", headers, body).status_code == 200
    with connect() as conn:
        row = conn.execute(
            "SELECT c.status, c.error_code, q.command_id AS queued FROM outbox_commands c"
            " LEFT JOIN outbox_queue q ON q.command_id = c.id WHERE c.id = %s", (cid,)
        ).fetchone()
    assert row == {"status": "DEAD", "error_code": "UNMAPPABLE_COMMAND", "queued": None}


def test_enqueued_event_submits_a_real_catalogue_command(
    isolated: str, connect, outbox_dsn: str
) -> None:
    from shared.chain.embedded.ledger import EmbeddedLedger
    from shared.chain.port import tx_id_for
    from shared.outbox import Command, enqueue
    from tests.integration.outbox.conftest import bootstrap

    ledger = EmbeddedLedger(outbox_dsn, isolated)
    try:
        bootstrap(ledger)
        with connect() as conn, conn.transaction():
            command = enqueue(conn, Command(
                "UPDATE_SYSTEM_PARAMETER", {"paramId": "votingPeriodDays", "newValue": "7"},
                principal_id="admin-1"))
        headers, body = event("org.gxcoin.command.enqueued.v1", {"commandId": command.id})
        assert post("submit_command", headers, body).status_code == 200
        with connect() as conn:
            row = conn.execute(
                "SELECT status, attempts, result FROM outbox_commands WHERE id = %s", (command.id,)
            ).fetchone()
        assert row["status"] == "CONFIRMED" and row["attempts"] == 1
        assert row["result"]["paramKey"] == "votingPeriodDays"
        assert ledger.transaction(tx_id_for(command.id)) is not None
        # A redelivered event finds nothing to claim and changes nothing.
        assert post("submit_command", headers, body).status_code == 200
    finally:
        ledger.close()


def test_announcements_during_a_drain_ride_along_with_it(
    isolated: str, connect, outbox_dsn: str
) -> None:
    import threading

    from shared.chain.embedded.ledger import EmbeddedLedger
    from shared.outbox import Command, enqueue
    from shared.outbox.worker import on_enqueued
    from tests.integration.outbox.conftest import bootstrap

    ledger = EmbeddedLedger(outbox_dsn, isolated)
    entered, release = threading.Event(), threading.Event()
    real_submit_batch = ledger.submit_batch

    def slow_submit_batch(submissions):  # type: ignore[no-untyped-def]
        entered.set()
        release.wait(10)
        return real_submit_batch(submissions)

    def accept(value: str) -> str:
        with connect() as conn, conn.transaction():
            return enqueue(conn, Command(
                "UPDATE_SYSTEM_PARAMETER", {"paramId": "votingPeriodDays", "newValue": value},
                principal_id="admin-1")).id

    try:
        bootstrap(ledger)
        ledger.submit_batch = slow_submit_batch  # type: ignore[method-assign]
        first = accept("7")
        results: list[object] = []
        drain = threading.Thread(target=lambda: results.append(
            on_enqueued({"commandId": first}, ledger=ledger)))
        drain.start()
        assert entered.wait(10)  # the first drain is inside the ledger now
        second = accept("8")
        riding = on_enqueued({"commandId": second, "commandIds": [second]}, ledger=ledger)
        assert riding is not None and riding.claimed == 0  # answered at once, submitted nothing
        release.set()
        drain.join(20)
        assert results and results[0].claimed == 2  # type: ignore[attr-defined]
        with connect() as conn:
            statuses = conn.execute("SELECT status FROM outbox_commands WHERE id = ANY(%s)",
                                    ([first, second],)).fetchall()
        assert [r["status"] for r in statuses] == ["CONFIRMED", "CONFIRMED"]
        # The drain is over: the next announcement drains on its own again.
        third = accept("9")
        assert on_enqueued({"commandId": third}, ledger=ledger).claimed == 1  # type: ignore[union-attr]
    finally:
        release.set()
        ledger.close()


def test_a_hold_queues_commands_without_submitting_them_until_released(
    isolated: str, connect, outbox_dsn: str
) -> None:
    import uuid

    from shared.chain.embedded.ledger import EmbeddedLedger
    from shared.outbox import Command, enqueue
    from shared.outbox.claim import next_due_in_s
    from shared.outbox.worker import on_enqueued, sweep
    from tests.helpers import bearer
    from tests.integration.outbox.conftest import bootstrap

    ledger = EmbeddedLedger(outbox_dsn, isolated)
    operator = str(uuid.uuid4())
    reason = {"reason": "peer upgrade 2026-11-22"}
    try:
        bootstrap(ledger)
        assert client_for("hold_outbox").put(
            "/api/v1/admin/outbox/hold", json=reason, headers=bearer(operator, "ADMIN")
        ).status_code == 403  # SUPER_ADMIN only
        assert client_for("hold_outbox").put(
            "/api/v1/admin/outbox/hold", json={"reason": "short"},
            headers=bearer(operator, "SUPER_ADMIN")).status_code == 422
        held = client_for("hold_outbox").put(
            "/api/v1/admin/outbox/hold", json=reason, headers=bearer(operator, "SUPER_ADMIN"))
        assert held.status_code == 200, held.get_data(as_text=True)
        assert held.get_json() | {"heldAt": None} == {
            "held": True, "reason": reason["reason"], "heldBy": operator, "heldAt": None,
            "queued": 0}

        with connect() as conn, conn.transaction():
            command = enqueue(conn, Command(
                "UPDATE_SYSTEM_PARAMETER", {"paramId": "votingPeriodDays", "newValue": "9"},
                principal_id="admin-1"))
        assert on_enqueued({"commandId": command.id}, ledger=ledger).claimed == 0  # type: ignore[union-attr]
        assert sweep(ledger=ledger, budget_s=0.2).claimed == 0
        with connect() as conn:  # a drain finds nothing to wait for, so it stops polling
            assert next_due_in_s(conn) is None
        state = client_for("get_outbox_hold").get(
            "/api/v1/admin/outbox/hold", headers=bearer(operator, "ADMIN")).get_json()
        assert state["held"] is True and state["queued"] == 1

        released = client_for("release_outbox").delete(
            "/api/v1/admin/outbox/hold", headers=bearer(operator, "SUPER_ADMIN"))
        assert released.status_code == 200
        assert released.get_json() == {"held": False, "reason": None, "heldBy": None,
                                       "heldAt": None, "queued": 1}
        with connect() as conn:
            assert next_due_in_s(conn) == 0.0
        assert on_enqueued({"commandId": command.id}, ledger=ledger).claimed == 1  # type: ignore[union-attr]
        with connect() as conn:
            row = conn.execute("SELECT status FROM outbox_commands WHERE id = %s",
                               (command.id,)).fetchone()
            audited = conn.execute(
                "SELECT event_type FROM audit_log WHERE actor_id = %s ORDER BY created_at",
                (operator,)).fetchall()
        assert row["status"] == "CONFIRMED"
        assert [a["event_type"] for a in audited] == ["OUTBOX_HELD", "OUTBOX_RELEASED"]
    finally:
        with db.connection(outbox_dsn) as conn:
            conn.execute("DELETE FROM outbox_hold")
        ledger.close()
