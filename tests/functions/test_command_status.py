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
