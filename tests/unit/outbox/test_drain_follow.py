"""on_enqueued's loop: a drain whose budget ran out while it was still claiming goes on (a
backlog must not wait for the sweeper), and one that found nothing stops."""

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
