"""GET /api/v1/commands/{commandId} through its registered function: owner, admin, others."""

from __future__ import annotations

import uuid

import pytest

from shared import db
from shared.outbox import Command, enqueue
from tests.helpers import bearer, client_for
from tests.integration.outbox.sample_commands import (
    PARAM,
    SET_PARAM,
    TEST_CATALOGUE,
    sample_commands_cleanup,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.usefixtures("sample_commands_cleanup")


def make_command(owner: str) -> str:
    with db.transaction() as conn:
        return enqueue(
            conn,
            Command(SET_PARAM, {"stream": "s", "paramId": PARAM, "newValue": "3"},
                    principal_id=owner),
            catalogue=TEST_CATALOGUE,
        ).id


def get(command_id: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client_for("get_command_status").get(f"/api/v1/commands/{command_id}", headers=headers)


def test_owner_reads_a_pending_command() -> None:
    owner = str(uuid.uuid4())
    cid = make_command(owner)
    resp = get(cid, bearer(owner))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["commandId"] == cid and body["type"] == SET_PARAM
    assert body["status"] == "PENDING" and body["attempts"] == 0
    assert body["result"] is None and body["error"] is None
    assert body["createdAt"] and body["updatedAt"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_confirmed_command_shows_tx_block_and_ids() -> None:
    owner = str(uuid.uuid4())
    cid = make_command(owner)
    db.execute(
        "UPDATE outbox_commands SET status = 'CONFIRMED', attempts = 1, block_number = 12,"
        " result = '{\"loanId\": \"LOAN_1\"}' WHERE id = %s", (cid,)
    )
    db.execute("DELETE FROM outbox_queue WHERE command_id = %s", (cid,))
    body = get(cid, bearer(owner)).get_json()
    assert body["status"] == "CONFIRMED"
    assert body["result"]["blockNumber"] == 12 and body["result"]["ids"] == {"loanId": "LOAN_1"}
    assert len(body["result"]["txId"]) == 64


def test_projected_says_when_reads_will_see_a_confirmed_command() -> None:
    """CONFIRMED means the ledger committed it; `projected` that the read models have applied its
    event, so a client can act on what it created without meeting a 404."""
    owner = str(uuid.uuid4())
    cid = make_command(owner)
    block = 10**9 + int(uuid.uuid4().int % 10**6)  # beyond any block another test publishes
    db.execute("UPDATE outbox_commands SET status = 'CONFIRMED', attempts = 1, block_number = %s"
               " WHERE id = %s", (block, cid))
    db.execute("DELETE FROM outbox_queue WHERE command_id = %s", (cid,))
    tx = db.fetch_one("SELECT tx_id FROM outbox_commands WHERE id = %s", (cid,))["tx_id"]  # type: ignore[index]

    def projected() -> bool:
        body = get(cid, bearer(owner)).get_json()
        assert body["status"] == "CONFIRMED"
        return bool(body["projected"])

    listener = f"status-test-{cid}"
    try:
        assert projected() is False  # committed, not yet published by the listener
        db.execute("INSERT INTO published_events (event_id, block_number, tx_index)"
                   " VALUES (%s, %s, 0)", (f"{tx}:0", block))
        db.execute("INSERT INTO chain_heights (listener, height, published_through)"
                   " VALUES (%s, %s, %s)", (listener, block, block))
        assert projected() is False  # published, the projector has not applied it
        db.execute("INSERT INTO projected_events (event_id, block_number) VALUES (%s, %s)",
                   (f"{tx}:0", block))
        assert projected() is True
        db.execute("DELETE FROM published_events WHERE event_id = %s", (f"{tx}:0",))
        db.execute("DELETE FROM projected_events WHERE event_id = %s", (f"{tx}:0",))
        assert projected() is True  # pruned once everything up to its block was projected
    finally:
        db.execute("DELETE FROM chain_heights WHERE listener = %s", (listener,))
        db.execute("DELETE FROM published_events WHERE event_id = %s", (f"{tx}:0",))
        db.execute("DELETE FROM projected_events WHERE event_id = %s", (f"{tx}:0",))


def test_admin_reads_anyones_command() -> None:
    cid = make_command(str(uuid.uuid4()))
    assert get(cid, bearer(role="ADMIN")).status_code == 200


def test_another_user_gets_404_not_403() -> None:
    cid = make_command(str(uuid.uuid4()))
    resp = get(cid, bearer())
    assert resp.status_code == 404 and resp.get_json()["code"] == "COMMAND_NOT_FOUND"
    assert get(str(uuid.uuid4()), bearer(role="ADMIN")).status_code == 404


def test_anonymous_is_401() -> None:
    cid = make_command(str(uuid.uuid4()))
    assert get(cid, {}).status_code == 401
