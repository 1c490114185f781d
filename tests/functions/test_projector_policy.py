"""The projector functions through functions-framework, as a Knative Trigger delivers to them:
ack, duplicate, dead-letter and retry behaviour, in both CloudEvent content modes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from shared import db
from shared.chain.port import ChainEvent
from shared.config import get_settings, reset_settings
from shared.db import close_pools
from shared.events.cloudevent import CloudEvent, from_chain, to_http
from tests.helpers import client_for

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def chain_event(name: str, payload: dict, *, block: int = 10, index: int = 0) -> ChainEvent:  # type: ignore[type-arg]
    return ChainEvent(block, index, secrets.token_hex(16), name, payload, NOW)


def paused(reason: str = "upgrade", **kw: int) -> CloudEvent:
    return from_chain(chain_event("SystemPaused", {"reason": reason}, **kw), channel="gxchannel",
                      chaincode="gxtv3")


def post(function: str, event: CloudEvent, *, structured: bool = False) -> int:
    headers, body = to_http(event, structured=structured)
    return int(client_for(function).post("/", headers=headers, data=body).status_code)


def dead_letters(event_id: str) -> list[dict]:  # type: ignore[type-arg]
    return db.fetch_all("SELECT * FROM event_dead_letters WHERE event_id = %s", (event_id,))


@pytest.mark.parametrize("structured", [False, True])
def test_projects_once_and_acknowledges_duplicates(structured: bool) -> None:
    account = f"user_{secrets.token_hex(4)}"
    event = from_chain(
        chain_event("WalletFrozen", {"userID": account, "reason": "review"}, block=10**6),
        channel="gxchannel", chaincode="gxtv3",
    )
    assert post("project_wallet_frozen", event, structured=structured) == 200
    assert post("project_wallet_frozen", event, structured=not structured) == 200
    row = db.fetch_one("SELECT frozen, frozen_reason FROM rm_accounts WHERE account_id = %s", (account,))
    assert row == {"frozen": True, "frozen_reason": "review"}
    assert db.fetch_one(
        "SELECT count(*) AS n FROM processed_events WHERE event_id = %s", (event["id"],)
    )["n"] == 1


def test_a_schema_violation_is_dead_lettered_with_its_reason_and_acknowledged() -> None:
    event = from_chain(chain_event("WalletFrozen", {"userID": "u1", "reason": "x"}),
                       channel="gxchannel", chaincode="gxtv3")
    event.data = {"userID": "u1"}  # 'reason' is required
    assert post("project_wallet_frozen", event) == 200
    [letter] = dead_letters(event["id"])
    assert letter["source"] == "projector" and letter["subscriber"] == "project_wallet_frozen"
    assert "'reason' is a required property" in letter["reason"]
    assert letter["payload"] == {"userID": "u1"} and letter["block_number"] == 10
    # Redelivered: acknowledged again, dead-lettered once.
    assert post("project_wallet_frozen", event) == 200
    assert len(dead_letters(event["id"])) == 1
    assert db.fetch_one("SELECT 1 AS x FROM rm_accounts WHERE account_id = 'u1'") is None


def test_an_event_of_another_type_is_dead_lettered_not_projected() -> None:
    event = paused()
    assert post("project_wallet_frozen", event) == 200
    [letter] = dead_letters(event["id"])
    assert "not subscribed" in letter["reason"]


def test_an_event_without_a_chain_position_is_dead_lettered() -> None:
    event = paused()
    attributes = {k: v for k, v in event.get_attributes().items() if k != "blocknumber"}
    bare = CloudEvent(attributes, event.data)
    assert post("project_system_paused", bare) == 200
    [letter] = dead_letters(event["id"])
    assert "blocknumber" in letter["reason"]


def test_a_projection_that_contradicts_itself_is_dead_lettered() -> None:
    event = from_chain(chain_event("TransferEvent", {
        "fromID": "a", "toID": "b", "amount": 100, "senderFee": 1, "receiverFee": 1,
        "totalFee": 5, "netReceived": 99,
    }), channel="gxchannel", chaincode="gxtv3")
    assert post("project_transfer_event", event) == 200
    [letter] = dead_letters(event["id"])
    assert letter["reason"].startswith("rejected: inconsistent fee legs")
    assert db.fetch_one("SELECT 1 AS x FROM rm_account_entries WHERE tx_id = %s",
                        (event["txid"],)) is None


def test_a_transient_database_failure_answers_non_2xx_so_the_broker_retries(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Another delivery of the same event holds its tracking row in an open transaction, and
    ours times out waiting for it: a transient failure, answered 5xx, changing nothing."""
    import psycopg

    event = paused(block=10**7)
    monkeypatch.setenv("GX_DB_STATEMENT_TIMEOUT_MS", "300")
    reset_settings()
    close_pools()
    try:
        with psycopg.connect(get_settings().require("database_url")) as other:
            other.execute("INSERT INTO processed_events (consumer, event_id) VALUES (%s, %s)",
                          ("project_system_paused", event["id"]))
            assert post("project_system_paused", event) >= 500
            other.rollback()
    finally:
        monkeypatch.undo()
        reset_settings()
        close_pools()
    assert db.fetch_one("SELECT 1 AS x FROM rm_system_status WHERE status_block = %s", (10**7,)) is None
    # The broker's redelivery projects it.
    assert post("project_system_paused", event) == 200
    assert db.fetch_one("SELECT status, reason FROM rm_system_status WHERE status_block = %s",
                        (10**7,)) == {"status": "PAUSED", "reason": "upgrade"}


def test_replaying_a_dead_letter_that_is_still_invalid_is_refused_and_changes_nothing() -> None:
    from tests.helpers import bearer

    event = from_chain(chain_event("WalletFrozen", {"userID": "u2", "reason": "x"}),
                       channel="gxchannel", chaincode="gxtv3")
    event.data = {"userID": "u2", "unexpected": True}
    assert post("project_wallet_frozen", event) == 200
    [letter] = dead_letters(event["id"])
    resp = client_for("replay_dead_letter").post(
        f"/api/v1/admin/dead-letters/{letter['id']}/replay", headers=bearer(role="ADMIN"))
    assert resp.status_code == 422
    assert resp.get_json()["code"] == "DEAD_LETTER_STILL_INVALID"
    assert dead_letters(event["id"])[0]["status"] == "DEAD"
    missing = client_for("replay_dead_letter").post(
        "/api/v1/admin/dead-letters/999999999/replay", headers=bearer(role="ADMIN"))
    assert missing.status_code == 404


@pytest.mark.parametrize("structured", [False, True])
def test_a_broker_dead_letter_is_replayed_exactly_as_it_was_delivered(monkeypatch, structured) -> None:  # type: ignore[no-untyped-def]
    """The dev broker stores the HTTP request it could not deliver (headers and bytes); the
    replay rebuilds the same CloudEvent, and the projector, seeing it for the first time,
    projects it."""
    from shared.events import deadletters
    from shared.events.sink import broker_sink
    from tests.helpers import bearer
    from tests.integration.projector.harness import ProjectorSink

    account = f"user_{secrets.token_hex(4)}"
    event = from_chain(chain_event("WalletFrozen", {"userID": account, "reason": "aml"}, block=77),
                       channel="gxchannel", chaincode="gxtv3")
    headers, body = to_http(event, structured=structured)
    with db.transaction() as conn:
        letter_id = deadletters.record(
            conn, source="broker", reason="delivery failed after 5 attempts: HTTP 503",
            subscriber="project_wallet_frozen", event_id=event["id"], event_type=event["type"],
            attributes=dict(headers), payload=None, raw_body=body, attempts=5,
        )
    with ProjectorSink() as broker:
        monkeypatch.setenv("GX_BROKER_URL", broker.url)
        reset_settings()
        broker_sink.cache_clear()
        try:
            resp = client_for("replay_dead_letter").post(
                f"/api/v1/admin/dead-letters/{letter_id}/replay", headers=bearer(role="ADMIN"))
        finally:
            monkeypatch.undo()
            reset_settings()
            broker_sink.cache_clear()
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["status"] == "REPLAYED"
    assert db.fetch_one("SELECT frozen, frozen_reason, frozen_block FROM rm_accounts"
                        " WHERE account_id = %s", (account,)) == {
        "frozen": True, "frozen_reason": "aml", "frozen_block": 77}


def test_dead_letters_are_listed_newest_first_by_keyset_pages() -> None:
    from tests.helpers import bearer

    for _ in range(3):
        event = paused()
        assert post("project_wallet_frozen", event) == 200  # not subscribed: dead-lettered
    client, admin = client_for("list_dead_letters"), bearer(role="ADMIN")
    url = "/api/v1/admin/dead-letters?source=projector&status=ALL"
    everything = client.get(url + "&limit=200", headers=admin).get_json()["items"]
    ids = [int(d["id"]) for d in everything]
    assert len(ids) >= 3 and ids == sorted(ids, reverse=True)
    pages, cursor = [], None
    while True:
        page = client.get(url + "&limit=2" + (f"&before={cursor}" if cursor else ""),
                          headers=admin).get_json()
        pages += page["items"]
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == everything
    bad = client.get("/api/v1/admin/dead-letters?limit=0", headers=admin)
    assert bad.status_code == 422


def test_replaying_a_dead_letter_of_an_event_already_projected_never_moves_money_twice(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A broker can dead-letter an event whose projection committed but whose answer was lost;
    replaying it is acknowledged as a duplicate."""
    from shared.events import deadletters
    from shared.events.sink import broker_sink
    from tests.helpers import bearer
    from tests.integration.projector.harness import ProjectorSink

    receiver = f"user_{secrets.token_hex(4)}"
    event = from_chain(chain_event("InternalTransferEvent", {
        "fromID": "SYSTEM_GX_POOL", "toID": receiver, "amount": 5_000, "type": "SYSTEM_ADJUSTMENT",
        "remark": "grant"}), channel="gxchannel", chaincode="gxtv3")
    assert post("project_internal_transfer", event) == 200
    with db.transaction() as conn:
        letter_id = deadletters.record(
            conn, source="broker", reason="last status 504", subscriber="project-internal-transfer",
            event_id=event["id"], event_type=event["type"], attributes={
                **{k: str(v) for k, v in event.get_attributes().items()},
                "knativeerrorcode": "504"}, payload=event.data)
    with ProjectorSink() as broker:
        monkeypatch.setenv("GX_BROKER_URL", broker.url)
        reset_settings()
        broker_sink.cache_clear()
        try:
            resp = client_for("replay_dead_letter").post(
                f"/api/v1/admin/dead-letters/{letter_id}/replay", headers=bearer(role="ADMIN"))
        finally:
            monkeypatch.undo()
            reset_settings()
            broker_sink.cache_clear()
    assert resp.status_code == 200 and broker.received == 1
    assert db.fetch_one("SELECT balance FROM rm_accounts WHERE account_id = %s", (receiver,)) == {
        "balance": 5_000}
