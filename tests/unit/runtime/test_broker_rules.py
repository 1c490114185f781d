"""Pure parts of the dev broker: CloudEvent parsing (both HTTP modes), Trigger matching,
Knative's backoff, the PingSource event."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from knative.spec import FunctionSpec
from shared.runtime.broker import (
    PING_TYPE,
    Delivery,
    InvalidEvent,
    parse_event,
    ping_event,
    subscriptions,
)


def _event(data=None, **extra):
    return CloudEvent({"type": "org.gxcoin.x.v1", "source": "/s", "id": "e-1", **extra},
                      data if data is not None else {"a": "1"})


def test_binary_mode_keeps_headers_and_body():
    headers, body = to_binary(_event(subject="sub", traceparent=None))
    envelope = parse_event({**headers, "Content-Type": "application/json",
                            "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}, body)
    assert envelope.id == "e-1" and envelope.type == "org.gxcoin.x.v1"
    assert envelope.body == body
    assert envelope.headers["content-type"] == "application/json"
    assert envelope.headers["traceparent"].startswith("00-aaaa")
    assert envelope.attributes["subject"] == "sub"


def test_structured_mode_becomes_binary_mode():
    headers, body = to_structured(_event({"amount": "10"}, gxtenant="t1"))
    envelope = parse_event(headers, body)
    assert json.loads(envelope.body) == {"amount": "10"}
    assert envelope.headers["content-type"] == "application/json"
    assert envelope.headers["ce-gxtenant"] == "t1"
    assert "ce-data" not in envelope.headers


def test_structured_base64_data_is_decoded():
    doc = {"specversion": "1.0", "id": "1", "type": "t", "source": "/s",
           "datacontenttype": "application/octet-stream",
           "data_base64": base64.b64encode(b"\x00\x01raw").decode()}
    envelope = parse_event({"content-type": "application/cloudevents+json"},
                           json.dumps(doc).encode())
    assert envelope.body == b"\x00\x01raw"
    assert envelope.headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"content-type": "application/cloudevents+json"}, b"not json"),
        ({"content-type": "application/cloudevents+json"}, b"[1, 2]"),
        ({"content-type": "application/cloudevents-batch+json"}, b"[]"),
        ({"ce-specversion": "1.0", "ce-id": "1", "ce-type": "t", "ce-source": " "}, b""),
        ({"ce-specversion": "2.0", "ce-id": "1", "ce-type": "t", "ce-source": "/s"}, b""),
        ({}, b"{}"),
    ],
)
def test_invalid_events_are_refused(headers, body):
    with pytest.raises(InvalidEvent):
        parse_event(headers, body)


def test_triggers_match_types_exactly_one_per_function_and_type():
    specs = [
        FunctionSpec(name="f_a", service="projector", kind="cloudevent", summary="a",
                     event_types=("t.one", "t.shared")),
        FunctionSpec(name="f_b", service="projector", kind="cloudevent", summary="b",
                     event_types=("t.two", "t.shared")),
        FunctionSpec(name="f_c", service="outbox", kind="cloudevent", summary="c",
                     schedule="* * * * *"),
    ]
    table = subscriptions(specs)
    assert table == {"t.one": ("f_a",), "t.two": ("f_b",), "t.shared": ("f_a", "f_b")}
    assert "t" not in table and "t.one.v2" not in table


def test_exponential_backoff_doubles_from_the_configured_delay():
    d = Delivery(retry=5, backoff_delay_s=0.5)
    assert [d.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_linear_backoff_grows_by_the_delay():
    d = Delivery(backoff_policy="linear", backoff_delay_s=0.2)
    assert [d.backoff(n) for n in range(1, 4)] == pytest.approx([0.2, 0.4, 0.6])


def test_ping_event_is_what_a_pingsource_named_after_the_function_sends():
    when = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    event = ping_event("sweep_outbox", now=when)
    assert event.type == PING_TYPE
    assert event.headers["ce-source"] == "/apis/v1/namespaces/gx/pingsources/sweep-outbox"
    assert event.headers["ce-time"] == "2026-05-01T10:00:00Z"
    assert event.body == b""
    assert ping_event("sweep_outbox", now=when).id != event.id
