"""Five-field cron schedules (the syntax of a Knative PingSource `schedule`), evaluated in UTC.

Fields: minute hour day-of-month month day-of-week. Each field is `*`, a number, a range `a-b`,
a step `*/n` or `a-b/n`, or a comma list of those; day-of-week 0 and 7 are Sunday. As in Vixie
cron (and robfig/cron, which PingSource uses), when both day fields are restricted a day matches
if either does. No croniter in the dependency set, so this is the small part we need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


class CronError(ValueError):
    """The schedule is not a valid five-field cron expression."""


def _field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, end = low, high
            elif "-" in base:
                a, b = base.split("-", 1)
                start, end = int(a), int(b)
            else:
                start = int(base)
                end = high if step_text else start
        except ValueError:
            raise CronError(f"bad cron field {text!r}") from None
        if step < 1 or not (low <= start <= end <= high):
            raise CronError(f"cron field {text!r} out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        text = _MACROS.get(expression.strip(), expression.strip())
        fields = text.split()
        if len(fields) != 5:
            raise CronError(f"cron needs five fields, got {expression!r}")
        parsed = [_field(f, lo, hi) for f, (lo, hi) in zip(fields, _BOUNDS)]
        weekdays = frozenset(d % 7 for d in parsed[4])
        return cls(
            expression, parsed[0], parsed[1], parsed[2], parsed[3], weekdays,
            days_restricted=fields[2] != "*", weekdays_restricted=fields[4] != "*",
        )

    def _day_matches(self, t: datetime) -> bool:
        in_days = t.day in self.days
        in_weekdays = (t.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def next_after(self, after: datetime) -> datetime:
        """The first matching minute strictly after `after` (aware datetime, returned in UTC)."""
        t = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        # Skip whole months, days and hours that cannot match; bounded by five years of misses
        # (an expression like "0 0 30 2 *" never fires).
        limit = t + timedelta(days=5 * 366)
        while t < limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(t):
                t = t.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t += timedelta(minutes=1)
                continue
            return t
        raise CronError(f"cron {self.expression!r} never fires")
