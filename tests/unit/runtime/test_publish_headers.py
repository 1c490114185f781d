"""The binary-mode headers of an emitted CloudEvent, and publish() without a broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.events.publish import binary_headers, publish


def test_binary_headers_carry_the_required_attributes_in_utc():
    when = datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    headers = binary_headers(event_type="org.gxcoin.command.enqueued.v1", source="create-transfer",
                             event_id="c-1", time=when, subject="cmd", extensions={"gxtenant": "t"})
    assert headers == {
        "ce-specversion": "1.0",
        "ce-id": "c-1",
        "ce-source": "create-transfer",
        "ce-type": "org.gxcoin.command.enqueued.v1",
        "ce-time": "2026-03-01T12:00:00Z",
        "ce-subject": "cmd",
        "ce-gxtenant": "t",
        "content-type": "application/json",
    }


@pytest.mark.parametrize("name", ["Upper", "with-dash", "", "data"])
def test_invalid_extension_names_are_refused(name):
    with pytest.raises(ValueError):
        binary_headers(event_type="t", source="s", event_id="1",
                       time=datetime.now(UTC), extensions={name: "x"})


def test_publish_without_a_broker_url_answers_false(monkeypatch):
    from shared import config

    monkeypatch.delenv("GX_BROKER_URL", raising=False)
    config.reset_settings()
    try:
        assert publish("t", {"a": 1}, source="s") is False
    finally:
        config.reset_settings()
