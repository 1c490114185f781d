"""The chain listener against the real embedded ledger and a real HTTP sink: checkpointing,
retries, dead-lettering of invalid events (acceptance 3), and projection lag (gaps.md B25)."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace

import pytest
from jsonschema import Draft202012Validator

from shared import db, projection_state
from shared.chain.listener import ChainListener, HttpSink, SinkUnavailable
from shared.config import reset_settings
from shared.events.catalogue import Catalogue
from shared.events.sink import broker_sink
from tests.helpers import bearer, client_for
from tests.integration.projector.harness import (
    ADMIN,
    SA,
    ProjectorSink,
    _sub,
    all_events,
    build_history,
    new_ledger,
    private_database,
    reset_read_models,
)


@pytest.fixture(scope="module")
def dsn():  # type: ignore[no-untyped-def]
    with private_database() as url:
        yield url


@pytest.fixture
def ledger(dsn):  # type: ignore[no-untyped-def]
    reset_read_models(dsn)
    chain = new_ledger(dsn)
    build_history(chain, random.Random(7), users=4, operations=12, extended=False)
    yield chain
    chain.drop()


def _count(sql: str, *params: object) -> int:
    row = db.fetch_one(sql, params or None)
    assert row is not None
    return int(next(iter(row.values())))


def test_publishes_everything_once_and_checkpoints_after_the_ack(ledger) -> None:  # type: ignore[no-untyped-def]
    events = all_events(ledger)
    with ProjectorSink() as sink:
        listener = ChainListener(ledger, HttpSink(sink.url), batch_size=10)
        while listener.poll_once():
            pass
        assert listener.checkpoint() == events[-1].position
        assert sink.received == len(events)
        # A second listener run from the checkpoint sends nothing again.
        assert listener.poll_once() == 0
        assert sink.received == len(events)
    assert _count("SELECT count(*) FROM projected_events") == len(events)
    status = projection_state.status()
    assert status == {"height": ledger.height(), "contiguous": ledger.height(), "lag": 0}


def test_a_stopped_listener_leaves_no_sender_threads(ledger) -> None:  # type: ignore[no-untyped-def]
    events = all_events(ledger)
    stop = threading.Event()
    with ProjectorSink() as sink:
        listener = ChainListener(ledger, HttpSink(sink.url), batch_size=10)
        runner = threading.Thread(target=listener.run, args=(stop,),
                                  kwargs={"poll_interval": 0.05})
        runner.start()
        deadline = time.monotonic() + 30
        while listener.checkpoint() != events[-1].position and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        runner.join(10)
    assert not runner.is_alive() and listener.checkpoint() == events[-1].position
    assert not [t for t in threading.enumerate() if t.name.startswith("gx-publish")]
    # Its heartbeat (what the listener-down alert watches) moved while it ran.
    from prometheus_client import REGISTRY

    beat = REGISTRY.get_sample_value("gx_chain_listener_last_poll_timestamp_seconds")
    assert beat is not None and time.time() - 60 < beat <= time.time()


def test_a_sink_outage_never_advances_the_checkpoint(ledger) -> None:  # type: ignore[no-untyped-def]
    events = all_events(ledger)
    with ProjectorSink() as sink:
        sink.fail_next = 10**6
        listener = ChainListener(ledger, HttpSink(sink.url, attempts=3, base_delay=0.001),
                                 batch_size=5)
        with pytest.raises(SinkUnavailable):
            listener.poll_once()
        assert listener.checkpoint() is None
        sink.fail_next = 2  # a short outage: retried within one send
        while listener.poll_once():
            pass
    assert listener.checkpoint() == events[-1].position
    assert _count("SELECT count(*) FROM event_dead_letters") == 0


def test_an_outage_part_way_through_a_batch_keeps_what_was_acknowledged_before_it(ledger) -> None:  # type: ignore[no-untyped-def]
    events = all_events(ledger)
    stuck = next(i for i, e in enumerate(events) if e.name == "WalletFrozen")
    assert stuck > 0
    with ProjectorSink() as sink:
        sink.unavailable_types = {"org.gxcoin.chain.wallet_frozen.v1"}
        listener = ChainListener(ledger, HttpSink(sink.url, attempts=2, base_delay=0.001),
                                 concurrency=4)
        with pytest.raises(SinkUnavailable):
            listener.poll_once()
        # Sent concurrently, settled in order: the checkpoint stops right before the event the
        # sink would not take, whatever was sent after it.
        assert listener.checkpoint() == events[stuck - 1].position
        sink.unavailable_types = set()
        while listener.poll_once():
            pass
    assert listener.checkpoint() == events[-1].position
    assert _count("SELECT count(*) FROM processed_events") == len(events)


def test_an_event_the_sink_refuses_is_dead_lettered_and_the_stream_goes_on(ledger) -> None:  # type: ignore[no-untyped-def]
    events = all_events(ledger)
    refused = [e for e in events if e.name == "WalletFrozen"]
    assert refused
    with ProjectorSink() as sink:
        sink.refuse_types = {"org.gxcoin.chain.wallet_frozen.v1"}
        listener = ChainListener(ledger, HttpSink(sink.url))
        while listener.poll_once():
            pass
    assert listener.checkpoint() == events[-1].position
    letters = db.fetch_all("SELECT * FROM event_dead_letters ORDER BY id")
    assert [(d["tx_id"], d["source"]) for d in letters] == [(e.tx_id, "chain-listener") for e in refused]
    assert all(d["reason"].startswith("sink answered 400") for d in letters)
    assert _count("SELECT count(*) FROM processed_events") == len(events) - len(refused)


def _strict_catalogue() -> Catalogue:
    """The real catalogue, except that SystemPaused reasons may be at most 3 characters: the
    chain's events stay as they are, and the listener now finds one of them invalid."""
    catalogue = Catalogue()
    paused = catalogue.for_name("SystemPaused")
    schema = {**paused.validator.schema,
              "properties": {"reason": {"type": "string", "maxLength": 3}}}
    strict = replace(paused, validator=Draft202012Validator(schema))
    catalogue.by_name["SystemPaused"] = strict
    catalogue.by_type[strict.type] = strict
    return catalogue


def test_an_invalid_event_is_dead_lettered_with_its_reason_and_the_stream_goes_on(dsn, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    reset_read_models(dsn)
    chain = new_ledger(dsn)
    try:
        build_history(chain, random.Random(3), users=4, operations=0, extended=False)
        chain.submit(_sub("AdminContract", "PauseSystem", ["scheduled maintenance"], SA))
        chain.submit(_sub("AdminContract", "ResumeSystem", [], SA))
        chain.submit(_sub("AdminContract", "UpdateSystemParameter", ["votingPeriodDays", "21"],
                          ADMIN))
        events = all_events(chain)
        with ProjectorSink() as sink:
            listener = ChainListener(chain, HttpSink(sink.url), catalogue=_strict_catalogue())
            while listener.poll_once():
                pass
        dead = db.fetch_all("SELECT * FROM event_dead_letters")
        assert len(dead) == 1
        letter = dead[0]
        assert letter["source"] == "chain-listener"
        assert letter["event_type"] == "org.gxcoin.chain.system_paused.v1"
        assert "reason" in letter["reason"] and "too long" in letter["reason"]
        assert letter["payload"] == {"reason": "scheduled maintenance"}
        paused = next(e for e in events if e.name == "SystemPaused")
        assert (letter["block_number"], letter["tx_id"]) == (paused.block_number, paused.tx_id)
        # Later events were still published and projected.
        assert listener.checkpoint() == events[-1].position
        assert sink.received == len(events) - 1
        assert db.fetch_one("SELECT param_value FROM system_parameters WHERE source = 'chain'"
                            " AND param_key = 'votingPeriodDays'")["param_value"] == "21"
        assert projection_state.status()["lag"] == 0

        # Admin: the dead letter is listed, and replayed through the broker once the (real)
        # catalogue accepts it; the replay is audited and cannot be repeated.
        admin = bearer(role="ADMIN")
        listing = client_for("list_dead_letters").get("/api/v1/admin/dead-letters", headers=admin)
        assert listing.status_code == 200
        [item] = listing.get_json()["items"]
        assert item["id"] == str(letter["id"]) and item["blockNumber"] == str(paused.block_number)
        assert client_for("list_dead_letters").get(
            "/api/v1/admin/dead-letters", headers=bearer(role="USER")).status_code == 403
        with ProjectorSink() as broker:
            monkeypatch.setenv("GX_BROKER_URL", broker.url)
            reset_settings()
            broker_sink.cache_clear()
            try:
                url = f"/api/v1/admin/dead-letters/{letter['id']}/replay"
                replayed = client_for("replay_dead_letter").post(url, headers=admin)
                assert replayed.status_code == 200, replayed.get_data(as_text=True)
                assert replayed.get_json()["status"] == "REPLAYED"
                again = client_for("replay_dead_letter").post(url, headers=admin)
                assert again.status_code == 409
            finally:
                monkeypatch.undo()
                reset_settings()
                broker_sink.cache_clear()
        assert broker.received == 1
        assert _count("SELECT count(*) FROM processed_events WHERE consumer = 'project_system_paused'"
                      " AND event_id = %s", letter["event_id"]) == 1
        # The pause is older than the resume already projected: the status stays ACTIVE.
        assert db.fetch_one("SELECT status FROM rm_system_status")["status"] == "ACTIVE"
        audit = db.fetch_one("SELECT * FROM audit_log WHERE event_type = 'DEAD_LETTER_REPLAYED'"
                             " AND target_id = %s", (str(letter["id"]),))
        assert audit is not None and audit["target_type"] == "DEAD_LETTER"
        from shared.audit import verify_chain

        with db.connection() as conn:
            assert verify_chain(conn)  # the replay's record extends the tamper-evident chain
    finally:
        chain.drop()


def _ready() -> int:
    from tests.helpers import client_for

    return int(client_for("get_openapi").get("/ready").status_code)


def test_lag_counts_unprojected_events_and_a_quiet_chain_is_not_lag(ledger, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GX_MAX_PROJECTION_LAG", "0")
    reset_settings()
    try:
        _check_lag(ledger)
    finally:
        monkeypatch.undo()
        reset_settings()


def _check_lag(ledger) -> None:  # type: ignore[no-untyped-def]
    events = all_events(ledger)
    height = ledger.height()
    with ProjectorSink() as sink:
        sink.hold = True  # the broker accepted the events and has not delivered them yet
        listener = ChainListener(ledger, HttpSink(sink.url))
        while listener.poll_once():
            pass
        first_block = events[0].block_number
        assert projection_state.lag_blocks() == height - (first_block - 1)
        assert _ready() == 503
        # Half delivered: the contiguous height stops below the first undelivered event.
        half = len(events) // 2
        sink.release(half)
        assert projection_state.lag_blocks() == height - (events[half].block_number - 1)
        # Delivered and projected: the lag falls to zero and stays there while the chain is quiet.
        sink.release()
        assert projection_state.lag_blocks() == 0
        assert _ready() == 200
        listener.poll_once()
        listener.refresh_lag()
    assert projection_state.lag_blocks() == 0
    # Pruning forgot everything at or below the contiguous block.
    assert _count("SELECT count(*) FROM published_events") == 0
    assert _count("SELECT count(*) FROM projected_events") == 0


def test_one_listener_at_a_time(ledger) -> None:  # type: ignore[no-untyped-def]
    with ProjectorSink() as sink:
        first = ChainListener(ledger, HttpSink(sink.url))
        second = ChainListener(ledger, HttpSink(sink.url))
        stop_first, stop_second = threading.Event(), threading.Event()
        t1 = threading.Thread(target=first.run, args=(stop_first,), kwargs={"poll_interval": 0.05})
        t1.start()
        try:
            for _ in range(200):
                if first.checkpoint() == all_events(ledger)[-1].position:
                    break
                stop_first.wait(0.05)
            t2 = threading.Thread(target=second.run, args=(stop_second,), kwargs={"poll_interval": 0.05})
            t2.start()
            stop_second.wait(0.5)
            received = sink.received
            stop_second.set()
            t2.join(5)
            assert not t2.is_alive()
            assert sink.received == received == len(all_events(ledger))
        finally:
            stop_first.set()
            t1.join(5)
