"""Outbox metrics: queue depth, age of the oldest claimable command, outcomes, submit latency.

The two gauges are read from the small queue table by whoever drains (the sweeper refreshes them
every tick); alert on `gx_outbox_oldest_claimable_age_seconds` (DESIGN.md §6), not on depth alone.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

ENQUEUED = Counter("gx_outbox_enqueued_total", "Commands accepted into the outbox", ["type"])
OUTCOMES = Counter(
    "gx_outbox_outcomes_total",
    "Finalised submissions by command type and resulting status",
    ["type", "status"],
)
SUBMIT_LATENCY = Histogram(
    "gx_outbox_submit_duration_seconds",
    "Time for one ledger submission call (single or batch)",
    ["mode"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUEUE_DEPTH = Gauge(
    "gx_outbox_queue_depth",
    "Unfinished commands (pending, retrying or in flight)",
    multiprocess_mode="mostrecent",
)
OLDEST_AGE = Gauge(
    "gx_outbox_oldest_claimable_age_seconds",
    "Age of the oldest unfinished command (0 when the queue is empty)",
    multiprocess_mode="mostrecent",
)


def refresh(conn: Any) -> tuple[int, float]:
    """Read depth and oldest age from the queue table into the gauges; (depth, age seconds)."""
    row = conn.execute(
        "SELECT count(*) AS depth,"
        " coalesce(extract(epoch FROM now() - min(enqueued_at)), 0) AS age"
        " FROM outbox_queue"
    ).fetchone()
    depth = int(row["depth"] if isinstance(row, dict) else row[0])
    age = float(row["age"] if isinstance(row, dict) else row[1])
    QUEUE_DEPTH.set(depth)
    OLDEST_AGE.set(age)
    return depth, age
