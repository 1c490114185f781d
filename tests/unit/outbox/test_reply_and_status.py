"""The 202 reply shape and the API status vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.http import dumps
from shared.outbox import CommandAccepted
from shared.outbox.enqueue import Enqueued
from shared.outbox.status import api_status, ids_of


def _command() -> Enqueued:
    return Enqueued(id="c-1", type="TRANSFER_TOKENS", status="PENDING", request_id="k",
                    tx_id="t", aggregate_key="user:u", created_at=datetime.now(UTC))


def test_reply_is_202_with_location_and_command_id() -> None:
    body, status, headers = CommandAccepted.reply(_command(), transferId="x")
    assert status == 202
    assert headers == {"Location": "/api/v1/commands/c-1"}
    import json

    data = json.loads(dumps(body))
    assert data["commandId"] == "c-1"
    assert data["statusUrl"] == "/api/v1/commands/c-1"
    assert data["status"] == "PENDING" and data["type"] == "TRANSFER_TOKENS"
    assert data["transferId"] == "x"


def test_api_status_vocabulary() -> None:
    assert api_status("PENDING", False) == "PENDING"
    assert api_status("PENDING", True) == "PROCESSING"
    assert api_status("RETRYING", True) == "PROCESSING"
    assert api_status("RETRYING", False) == "RETRYING"
    assert api_status("CONFIRMED", False) == "CONFIRMED"
    assert api_status("REJECTED", False) == "REJECTED"
    assert api_status("DEAD", False) == "FAILED"


def test_ids_from_chain_results() -> None:
    assert ids_of({"loanId": "LOAN_1", "amount": 5, "nested": {"a": 1}, "ok": True}) == {
        "loanId": "LOAN_1", "amount": 5}
    assert ids_of("PENDING_TX_1") == {"id": "PENDING_TX_1"}
    assert ids_of(None) == {} and ids_of([1, 2]) == {}
