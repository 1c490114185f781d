"""Gauges of the command pipeline's state, read from the database when Prometheus scrapes.

The per-process metrics (requests, submissions, events handled) say what a process did; these
say where the system stands, which no single process knows: the outbox's claimable backlog and
its age, dead commands, open event dead letters, the hold, and the read side's distance from the
ledger in blocks and in seconds. They are read at scrape time, not pushed by a worker, so that:

- they are measured from outside the processes they judge: a stopped or hung chain listener
  stops updating its own lag gauge, while this ledger height keeps moving and the projected
  height does not, so the projection-lag alert fires exactly when it should;
- they exist while the functions that change them are scaled to zero.

One process per deployment serves them (GX_PIPELINE_METRICS=true: the dead-letter sink, which
always keeps one pod; `gx dev`'s metrics port), so the database sees one set of small queries
per scrape, not one per pod. Every query reads a small table or an index (outbox_queue holds only
unfinished commands; dead commands and open dead letters have partial or leading indexes), except
the supply check, one sum over rm_accounts (an account per user: tens of milliseconds per million).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from shared.domain.accounts import TOTAL_SUPPLY
from shared.observability import get_logger

log = get_logger(__name__)

#: (name, help) of every family this collector yields; the metrics table and the dashboard
#: test read this list.
FAMILIES: dict[str, str] = {
    "gx_pipeline_up": "1 when the last scrape could read the pipeline's state, else 0",
    "gx_outbox_claimable_commands": "Commands a submitter could claim right now (hold ignored)",
    "gx_outbox_claimable_age_seconds":
        "Age since acceptance of the oldest command a submitter could claim now (0 if none)",
    "gx_outbox_unfinished_commands": "Commands in the outbox queue (pending, retrying, leased)",
    "gx_outbox_dead_commands": "Commands whose attempts ran out (DEAD), waiting for a re-drive",
    "gx_outbox_held": "1 while an operator holds ledger submission (PUT /admin/outbox/hold)",
    "gx_event_dead_letters": "Open (not replayed) event dead letters, by writer",
    "gx_ledger_height_blocks": "Newest block on the ledger, read from the ledger port",
    "gx_projected_height_blocks":
        "Highest block through which every event is published and projected",
    "gx_projection_behind_blocks": "Ledger height minus projected height",
    "gx_projection_behind_seconds":
        "Age of the oldest committed chain event not yet projected (0 when caught up)",
    "gx_supply_projected_qirat": "Sum of every projected balance (Qirat)",
    "gx_supply_total_qirat": "The fixed supply BootstrapSystem mints (Qirat)",
}

_OUTBOX = """
SELECT
  (SELECT count(*) FROM outbox_queue) AS unfinished,
  count(*) AS claimable,
  coalesce(extract(epoch FROM now() - min(q.enqueued_at)), 0) AS claimable_age,
  EXISTS (SELECT 1 FROM outbox_hold) AS held,
  (SELECT count(*) FROM outbox_commands WHERE status = 'DEAD') AS dead
FROM outbox_queue q
WHERE q.next_attempt_at <= now()
  AND (q.lease_expires_at IS NULL OR q.lease_expires_at <= now())
  AND NOT EXISTS (SELECT 1 FROM outbox_queue e
                  WHERE e.aggregate_key = q.aggregate_key AND e.seq < q.seq)
"""

_DEAD_LETTERS = (
    "SELECT source, count(*) AS n FROM event_dead_letters WHERE status = 'DEAD' GROUP BY source"
)

#: Writers of event_dead_letters, always exported (0 included) so `increase()` sees the first.
DEAD_LETTER_SOURCES = ("broker", "chain-listener", "projector")


class PipelineCollector(Collector):
    """Yields FAMILIES from the database and the ledger on each collect()."""

    def __init__(self, dsn: str | None = None, ledger: Any = None) -> None:
        self.dsn = dsn
        self.ledger = ledger  # None = the configured ledger (shared.chain.port.get_ledger)

    def describe(self) -> list[Any]:
        return []  # unchecked: collect() must not touch the database at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("gx_pipeline_up", FAMILIES["gx_pipeline_up"])
        try:
            families = self._read()
        except Exception as exc:  # noqa: BLE001 - a scrape reports, never raises (gx_pipeline_up)
            log.warning("pipeline_metrics.unavailable", error=str(exc)[:300])
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[GaugeMetricFamily]:
        from shared import db, projection_state
        from shared.chain.port import get_ledger

        out: list[GaugeMetricFamily] = []

        def gauge(name: str, value: float) -> None:
            family = GaugeMetricFamily(name, FAMILIES[name])
            family.add_metric([], value)
            out.append(family)

        with db.connection(self.dsn) as conn:
            row = conn.execute(_OUTBOX).fetchone()
            assert row is not None
            letters = {r["source"]: int(r["n"]) for r in conn.execute(_DEAD_LETTERS).fetchall()}
            contiguous = projection_state.status(conn)["contiguous"]
            # Conservation: once bootstrapped and caught up, the balances sum to the supply.
            supply = conn.execute(
                "SELECT coalesce(sum(balance), 0) AS s FROM rm_accounts").fetchone()
        gauge("gx_outbox_claimable_commands", int(row["claimable"]))
        gauge("gx_outbox_claimable_age_seconds", float(row["claimable_age"]))
        gauge("gx_outbox_unfinished_commands", int(row["unfinished"]))
        gauge("gx_outbox_dead_commands", int(row["dead"]))
        gauge("gx_outbox_held", 1 if row["held"] else 0)
        gauge("gx_supply_projected_qirat", int(supply["s"]) if supply else 0)
        gauge("gx_supply_total_qirat", TOTAL_SUPPLY)
        family = GaugeMetricFamily(
            "gx_event_dead_letters", FAMILIES["gx_event_dead_letters"], labels=["source"]
        )
        for source in sorted(set(DEAD_LETTER_SOURCES) | set(letters)):
            family.add_metric([source], letters.get(source, 0))
        out.append(family)

        ledger = self.ledger or get_ledger()
        height = ledger.height()
        projected = min(contiguous or 0, height)
        gauge("gx_ledger_height_blocks", height)
        gauge("gx_projected_height_blocks", projected)
        gauge("gx_projection_behind_blocks", height - projected)
        behind_s = 0.0
        if height > projected:
            first = next(iter(ledger.events(after=(projected, 2**31 - 1), limit=1)), None)
            if first is not None:
                behind_s = max(0.0, time.time() - first.timestamp.timestamp())
        gauge("gx_projection_behind_seconds", behind_s)
        return out


_registered: set[int] = set()


def register(registry: Any, dsn: str | None = None) -> None:
    """Add the collector to `registry` once (start_metrics_server does, when enabled)."""
    if id(registry) in _registered:
        return
    registry.register(PipelineCollector(dsn))
    _registered.add(id(registry))
