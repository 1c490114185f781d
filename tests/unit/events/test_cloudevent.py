"""Chain events as CloudEvents: catalogue lookups, conversion, validation and parsing (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import events as contracts
from shared.domain.money import MAX_QIRAT
from shared.chain.port import ChainEvent
from shared.events.catalogue import InvalidPayload, UnknownEvent, get_catalogue, snake
from shared.events.cloudevent import (
    CloudEvent,
    MalformedEvent,
    from_chain,
    from_http_request,
    parse,
    to_http,
)

TRANSFER = {
    "fromID": "alice", "toID": "bob", "amount": 1_000_000, "senderFee": 500, "receiverFee": 500,
    "totalFee": 1000, "netReceived": 999_500,
}


def event(name: str = "TransferEvent", payload: dict | None = None, **kw) -> ChainEvent:  # type: ignore[no-untyped-def, type-arg]
    return ChainEvent(
        block_number=kw.get("block", 42), tx_index=kw.get("index", 3), tx_id=kw.get("tx", "ab" * 32),
        name=name, payload=TRANSFER if payload is None else payload,
        timestamp=kw.get("time", datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)),
    )


def test_every_catalogued_type_is_indexed_both_ways() -> None:
    catalogue = get_catalogue()
    assert set(catalogue.types()) == set(contracts.catalogue())
    for event_type, entry in contracts.catalogue().items():
        assert catalogue.for_type(event_type).name == entry["event"]
        assert event_type == f"org.gxcoin.chain.{snake(entry['event'])}.v1"
    # The genesis name conflict (events.md §3.6): both names are known, one schema.
    a = catalogue.for_name("GenesisDistributed")
    b = catalogue.for_name("GenesisDistributionEvent")
    assert a.type != b.type and a.schema_file == b.schema_file


def test_unknown_names_and_types_are_refused() -> None:
    with pytest.raises(UnknownEvent):
        get_catalogue().for_name("MultiSigTxInitiated")  # a Nov-17 name the chain never emits
    with pytest.raises(UnknownEvent):
        get_catalogue().for_type("org.gxcoin.chain.nothing.v1")


def test_a_chain_event_becomes_a_cloudevent_with_its_position_and_block_time() -> None:
    ce = from_chain(event(), channel="gxchannel", chaincode="gxtv3")
    assert ce["id"] == "ab" * 32 + ":0"
    assert ce["source"] == "gxchannel/gxtv3"
    assert ce["type"] == "org.gxcoin.chain.transfer_event.v1"
    assert ce["time"] == "2026-05-04T03:02:01+00:00"
    assert (ce["blocknumber"], ce["txindex"], ce["txid"], ce["eventname"]) == (
        "42", "3", "ab" * 32, "TransferEvent")
    assert ce.data == TRANSFER


@pytest.mark.parametrize("structured", [False, True])
def test_parse_round_trips_through_http_in_both_modes(structured: bool) -> None:
    ce = from_chain(event(time=datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=2)))),
                    channel="c", chaincode="cc")
    headers, body = to_http(ce, structured=structured)
    record = parse(from_http_request(headers, body))
    assert (record.block_number, record.tx_index, record.tx_id) == (42, 3, "ab" * 32)
    assert record.position == (42, 3)
    assert record.name == "TransferEvent" and record.payload == TRANSFER
    assert record.time == datetime(2025, 12, 31, 23, tzinfo=UTC)


def test_invalid_payloads_are_refused_with_every_problem() -> None:
    bad = {**TRANSFER, "amount": "1000", "extra": 1}
    del bad["toID"]
    with pytest.raises(InvalidPayload) as info:
        from_chain(event(payload=bad), channel="c", chaincode="cc")
    text = str(info.value)
    assert "'toID' is a required property" in text
    assert "'1000' is not of type 'integer'" in text  # no coercion of strings to numbers
    assert "Additional properties" in text


def test_parse_refuses_what_cannot_be_projected() -> None:
    ce = from_chain(event(), channel="c", chaincode="cc")
    no_position = CloudEvent({k: v for k, v in ce.get_attributes().items() if k != "txindex"},
                             ce.data)
    with pytest.raises(MalformedEvent):
        parse(no_position)
    wrong_name = CloudEvent({**ce.get_attributes(), "eventname": "TransferWithFeesCompleted"},
                            ce.data)
    with pytest.raises(MalformedEvent):
        parse(wrong_name)
    not_object = CloudEvent(ce.get_attributes(), [1, 2])
    with pytest.raises(MalformedEvent):
        parse(not_object)
    bad_payload = CloudEvent(ce.get_attributes(), {**TRANSFER, "amount": -1})
    with pytest.raises(InvalidPayload):
        parse(bad_payload)


@settings(max_examples=50)
@given(block=st.integers(0, 2**62), index=st.integers(0, 10_000),
       amount=st.integers(1, MAX_QIRAT), tx=st.text("0123456789abcdef", min_size=1, max_size=64))
def test_any_valid_transfer_round_trips(block: int, index: int, amount: int, tx: str) -> None:
    payload = {**TRANSFER, "amount": amount, "netReceived": amount}
    ce = from_chain(event(payload=payload, block=block, index=index, tx=tx), channel="c", chaincode="cc")
    headers, body = to_http(ce)
    record = parse(from_http_request(headers, body))
    assert (record.block_number, record.tx_index, record.tx_id) == (block, index, tx)
    assert record.payload["amount"] == amount
