"""The per-process announcer: a command after a quiet spell is announced at once; commands
accepted within the spacing of the last announcement share the next one."""

from __future__ import annotations

import threading
import time

import pytest

from shared.outbox import reply


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, list[str]]]:
    record: list[tuple[float, list[str]]] = []
    arrived = threading.Condition()

    def announce(ids: list[str], *, source: str, traceparent: str | None = None) -> int:
        with arrived:
            record.append((time.monotonic(), list(ids)))
            traces.append(traceparent)
            arrived.notify_all()
        return len(ids)

    monkeypatch.setattr(reply, "announce", announce)
    return record


traces: list[str | None] = []


def test_the_announcement_carries_the_requests_traceparent(sent) -> None:  # type: ignore[no-untyped-def]
    import structlog

    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    traces.clear()
    with structlog.contextvars.bound_contextvars(traceparent=parent):
        reply.announce_later(["traced-1"], source="test")
    _wait_for(sent, 1)
    assert traces[-1] == parent


def _wait_for(sent: list[tuple[float, list[str]]], count: int) -> None:
    deadline = time.monotonic() + 5
    while len(sent) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(sent) >= count, sent


def test_a_burst_after_the_first_announcement_shares_the_next(sent) -> None:  # type: ignore[no-untyped-def]
    announcer = reply._Announcer(spacing_s=0.3)
    began = time.monotonic()
    announcer.put("test", ["a"])
    _wait_for(sent, 1)
    for command_id in ("b", "c", "d"):
        announcer.put("test", [command_id])
    _wait_for(sent, 2)
    time.sleep(0.1)
    assert [ids for _, ids in sent] == [["a"], ["b", "c", "d"]]
    assert sent[0][0] - began < 0.3  # the first was not held back
    assert sent[1][0] - sent[0][0] >= 0.3  # the burst waited out the spacing, together


def test_a_command_after_a_quiet_spell_goes_at_once(sent) -> None:  # type: ignore[no-untyped-def]
    announcer = reply._Announcer(spacing_s=0.2)
    announcer.put("test", ["a"])
    _wait_for(sent, 1)
    time.sleep(0.3)
    put_at = time.monotonic()
    announcer.put("test", ["b"])
    _wait_for(sent, 2)
    assert sent[1][0] - put_at < 0.2


def test_what_the_broker_refuses_is_sent_again_with_what_came_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[tuple[float, list[str]]] = []
    broker_up = threading.Event()

    def announce(ids: list[str], *, source: str, traceparent: str | None = None) -> int:
        attempts.append((time.monotonic(), list(ids)))
        return len(ids) if broker_up.is_set() else 0  # down, then restarted

    monkeypatch.setattr(reply, "announce", announce)
    announcer = reply._Announcer(spacing_s=0.01)
    announcer.put("test", ["a"])
    _wait_for(attempts, 2)  # refused, and tried again
    announcer.put("test", ["b"])
    broker_up.set()
    deadline = time.monotonic() + 5
    while not (attempts and attempts[-1][1] == ["a", "b"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert attempts[-1][1] == ["a", "b"]  # the retry carried what was queued meanwhile
    assert attempts[1][0] - attempts[0][0] >= 0.2  # backing off, not spinning
    time.sleep(0.3)
    assert attempts[-1][1] == ["a", "b"]  # taken: not sent again


def test_refused_announcements_are_given_up_after_the_retry_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[list[str]] = []

    def announce(ids: list[str], *, source: str, traceparent: str | None = None) -> int:
        attempts.append(list(ids))
        return len(ids) if ids == ["later"] else 0

    monkeypatch.setattr(reply, "announce", announce)
    announcer = reply._Announcer(spacing_s=0.01, retry_for_s=0.5)
    announcer.put("test", ["lost"])
    time.sleep(1.5)  # the sweeper's job now
    tried = len(attempts)
    assert 2 <= tried <= 6 and all(a == ["lost"] for a in attempts)
    announcer.put("test", ["later"])
    deadline = time.monotonic() + 5
    while attempts[-1] != ["later"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert attempts[-1] == ["later"] and len(attempts) == tried + 1
