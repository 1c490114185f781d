"""Cron schedules as a PingSource reads them: parsing and the next firing time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.runtime.cron import Cron, CronError


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("* * * * *", at(2026, 1, 1, 12, 0, 30), at(2026, 1, 1, 12, 1)),
        ("* * * * *", at(2026, 1, 1, 12, 0), at(2026, 1, 1, 12, 1)),  # strictly after
        ("*/5 * * * *", at(2026, 1, 1, 12, 3), at(2026, 1, 1, 12, 5)),
        ("*/5 * * * *", at(2026, 1, 1, 12, 55), at(2026, 1, 1, 13, 0)),
        ("*/15 * * * *", at(2026, 12, 31, 23, 50), at(2027, 1, 1, 0, 0)),
        ("0 3 * * *", at(2026, 1, 1, 3, 0), at(2026, 1, 2, 3, 0)),
        ("30 9 * * 1-5", at(2026, 11, 21, 10, 0), at(2026, 11, 23, 9, 30)),  # Sat -> Mon
        ("0 0 1 * *", at(2026, 2, 14), at(2026, 3, 1)),
        ("0 0 29 2 *", at(2026, 3, 1), at(2028, 2, 29)),  # the next leap day
        ("0 12 13 * 5", at(2026, 11, 1), at(2026, 11, 6, 12)),  # day 13 OR a Friday
        ("0 0 * * 7", at(2026, 11, 21), at(2026, 11, 22)),  # 7 is Sunday too
        ("@hourly", at(2026, 1, 1, 12, 59), at(2026, 1, 1, 13, 0)),
        ("10-20/5,45 * * * *", at(2026, 1, 1, 0, 16), at(2026, 1, 1, 0, 20)),
    ],
)
def test_next_firing_time(expr, after, expected):
    assert Cron.parse(expr).next_after(after) == expected


@pytest.mark.parametrize(
    "expr", ["", "* * * *", "* * * * * *", "60 * * * *", "*/0 * * * *", "a * * * *",
             "5-1 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8"],
)
def test_invalid_expressions_are_refused(expr):
    with pytest.raises(CronError):
        Cron.parse(expr)


def test_an_impossible_date_never_fires():
    with pytest.raises(CronError):
        Cron.parse("0 0 30 2 *").next_after(at(2026, 1, 1))


def _matches(cron: Cron, t: datetime) -> bool:
    return (t.minute in cron.minutes and t.hour in cron.hours and t.month in cron.months
            and cron._day_matches(t))


@settings(max_examples=60, deadline=None)
@given(
    minute=st.sampled_from(["*", "*/7", "5", "0-30/10", "59"]),
    hour=st.sampled_from(["*", "*/6", "0", "13-15"]),
    dom=st.sampled_from(["*", "1", "15-20"]),
    dow=st.sampled_from(["*", "0", "1-5"]),
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                       timezones=st.just(UTC)),
)
def test_next_is_the_first_matching_minute_after_start(minute, hour, dom, dow, start):
    cron = Cron.parse(f"{minute} {hour} {dom} * {dow}")
    nxt = cron.next_after(start)
    assert nxt > start and nxt.second == 0 and _matches(cron, nxt)
    # No earlier minute matches (checked minute by minute over at most two days).
    t = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(min(int((nxt - t).total_seconds() // 60), 2 * 1440)):
        assert not _matches(cron, t)
        t += timedelta(minutes=1)
