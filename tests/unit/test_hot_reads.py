"""shared.hot_reads: a value is reused for GX_HOT_READ_CACHE_S seconds, then read again."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from shared import hot_reads
from shared.config import reset_settings


@pytest.fixture
def ttl(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GX_HOT_READ_CACHE_S", "0.2")
    reset_settings()
    hot_reads.forget()
    yield
    monkeypatch.undo()
    reset_settings()
    hot_reads.forget()


def counter() -> tuple[list[int], object]:
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    return calls, load


@pytest.mark.usefixtures("ttl")
def test_a_value_is_reused_within_the_window_and_read_again_after() -> None:
    calls, load = counter()
    assert hot_reads.remembered("k", load) == 1  # type: ignore[arg-type]
    assert hot_reads.remembered("k", load) == 1  # type: ignore[arg-type]
    assert len(calls) == 1
    time.sleep(0.25)
    assert hot_reads.remembered("k", load) == 2  # type: ignore[arg-type]


@pytest.mark.usefixtures("ttl")
def test_keys_are_kept_apart_and_forget_drops_them() -> None:
    calls, load = counter()
    hot_reads.remembered(("a", "tenant1"), load)  # type: ignore[arg-type]
    hot_reads.remembered(("a", "tenant2"), load)  # type: ignore[arg-type]
    assert len(calls) == 2
    hot_reads.forget()
    hot_reads.remembered(("a", "tenant1"), load)  # type: ignore[arg-type]
    assert len(calls) == 3


def test_zero_reads_every_time() -> None:  # the test suite's own setting
    calls, load = counter()
    hot_reads.remembered("k", load)  # type: ignore[arg-type]
    hot_reads.remembered("k", load)  # type: ignore[arg-type]
    assert len(calls) == 2
