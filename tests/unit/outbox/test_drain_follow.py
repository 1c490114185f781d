"""on_enqueued's loop: a drain whose budget ran out while it was still claiming goes on (a
backlog must not wait for the sweeper), one that found nothing stops, and one that finds commands
leased elsewhere or backing off waits for them (a crashed worker's lease running out)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.outbox import worker
from shared.outbox.submit import DrainStats, Submitter


def test_a_drain_keeps_going_while_its_rounds_claim_work(monkeypatch: pytest.MonkeyPatch) -> None:
    rounds = [5, 3, 0]
    calls: list[str] = []

    def fake(self: Submitter, command_id: str, **_: Any) -> DrainStats:
        calls.append(command_id)
        return DrainStats(claimed=rounds[len(calls) - 1])

    monkeypatch.setattr(Submitter, "submit_command", fake)
    monkeypatch.setattr(Submitter, "next_due_s", lambda self: None)  # an empty queue
    stats = worker.on_enqueued({"commandId": "c-1"}, ledger=object())  # type: ignore[arg-type]
    assert stats is not None and stats.claimed == 8
    assert calls == ["c-1", "c-1", "c-1"]
    # Over: the next announcement starts a drain of its own.
    rounds[:] = [1, 0, 0, 0, 0, 0]
    calls.clear()
    again = worker.on_enqueued({"commandId": "c-2"}, ledger=object())  # type: ignore[arg-type]
    assert again is not None and again.claimed == 1


def test_malformed_announcements_are_acknowledged_without_draining() -> None:
    for data in ({}, {"commandId": 5}, {"commandId": "x", "commandIds": "x"},
                 {"commandId": "x", "commandIds": []}, {"commandId": "x", "commandIds": [1]}):
        assert worker.on_enqueued(data, ledger=object()) is None  # type: ignore[arg-type]


def test_a_drain_waits_for_a_lease_that_runs_out_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    rounds = [0, 0, 0, 4, 0]  # leased elsewhere (a crashed worker) until its lease ran out
    due = [2.5, 1.2, 0.2, None]
    slept: list[float] = []
    calls: list[str] = []

    def fake(self: Submitter, command_id: str, **_: Any) -> DrainStats:
        calls.append(command_id)
        return DrainStats(claimed=rounds[len(calls) - 1])

    monkeypatch.setattr(Submitter, "submit_command", fake)
    monkeypatch.setattr(Submitter, "next_due_s", lambda self: due.pop(0))
    monkeypatch.setattr(worker.time, "sleep", slept.append)
    stats = worker.on_enqueued({"commandId": "c-3"}, ledger=object())  # type: ignore[arg-type]
    assert stats is not None and stats.claimed == 4
    assert slept == [1.0, 1.0, 0.2]  # polled at least every second
    assert due == []


def test_a_drain_hands_over_what_is_due_after_its_follow_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    announced: list[list[str]] = []
    monkeypatch.setattr(Submitter, "submit_command", lambda self, cid, **_: DrainStats())
    monkeypatch.setattr(Submitter, "next_due_s", lambda self: worker.FOLLOW_LIMIT_S + 1)
    monkeypatch.setattr(worker, "announce_later", lambda ids, source: announced.append(ids))
    stats = worker.on_enqueued({"commandId": "c-4"}, ledger=object())  # type: ignore[arg-type]
    assert stats is not None and stats.claimed == 0
    assert announced == [["c-4"]]  # a fresh delivery keeps watching
    # And this process's drain is over: the next announcement starts one.
    monkeypatch.setattr(Submitter, "next_due_s", lambda self: None)
    assert worker.on_enqueued({"commandId": "c-5"}, ledger=object()) is not None  # type: ignore[arg-type]
    assert announced == [["c-4"]]
