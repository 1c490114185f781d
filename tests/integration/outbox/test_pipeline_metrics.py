"""The pipeline's state gauges, read from the real database and embedded ledger at scrape time."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from shared.chain.embedded.ledger import EmbeddedLedger
from shared.chain.port import ServiceIdentity, Submission
from shared.events import deadletters
from shared.pipeline_metrics import FAMILIES, PipelineCollector
from tests.integration.outbox.conftest import put


def scrape(collector: PipelineCollector) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(collector)
    samples: dict[str, float] = {}
    for family in registry.collect():
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    assert generate_latest(registry)  # the exposition renders
    return samples


def test_outbox_dead_letters_and_projection_state(
    outbox_dsn: str, connect: Callable[[], AbstractContextManager[Any]], ledger: EmbeddedLedger
) -> None:
    with connect() as conn:
        conn.execute("TRUNCATE event_dead_letters, chain_heights, published_events,"
                     " projected_events, outbox_hold")
    first = put(connect, "a", 1)
    put(connect, "a", 2)  # behind `first` on its aggregate: not claimable
    put(connect, "b", 3)
    dead = put(connect, "c", 4)
    with connect() as conn:
        conn.execute("UPDATE outbox_commands SET status = 'DEAD' WHERE id = %s", (dead,))
        conn.execute("DELETE FROM outbox_queue WHERE command_id = %s", (dead,))
        conn.execute("UPDATE outbox_queue SET enqueued_at = now() - interval '90 seconds'"
                     " WHERE command_id = %s", (first,))
        deadletters.record(conn, source="broker", reason="kept failing")
    ledger.submit(Submission("AdminContract", "PauseSystem", ["maintenance"], "tx-metrics-1",
                             identity=ServiceIdentity.SUPER_ADMIN))

    got = scrape(PipelineCollector(outbox_dsn, ledger))
    assert set(FAMILIES) <= {name.split("{")[0] for name in got}
    assert got["gx_pipeline_up"] == 1
    assert got["gx_outbox_unfinished_commands"] == 3
    assert got["gx_outbox_claimable_commands"] == 2
    assert 89 <= got["gx_outbox_claimable_age_seconds"] < 120
    assert got["gx_outbox_dead_commands"] == 1
    assert got["gx_outbox_held"] == 0
    assert got["gx_supply_total_qirat"] == 1_250_000_000_000_000_000
    assert got["gx_event_dead_letters{source=broker}"] == 1
    assert got["gx_event_dead_letters{source=projector}"] == 0
    height = ledger.height()
    assert height >= 2
    # No listener has published anything yet: the whole chain is behind, and its oldest
    # unprojected event is the bootstrap's.
    assert got["gx_ledger_height_blocks"] == height
    assert got["gx_projected_height_blocks"] == 0
    assert got["gx_projection_behind_blocks"] == height
    assert got["gx_projection_behind_seconds"] > 0

    with connect() as conn:
        conn.execute("INSERT INTO chain_heights (listener, height, published_through)"
                     " VALUES ('chain-listener', %s, %s)", (height, height))
        conn.execute("INSERT INTO outbox_hold (reason, held_by) VALUES ('test', 'tester')")
    try:
        got = scrape(PipelineCollector(outbox_dsn, ledger))
    finally:
        with connect() as conn:  # the other outbox tests share this database
            conn.execute("DELETE FROM outbox_hold")
            conn.execute("TRUNCATE event_dead_letters, chain_heights")
    assert got["gx_projection_behind_blocks"] == 0
    assert got["gx_projection_behind_seconds"] == 0
    assert got["gx_outbox_held"] == 1


def test_unreachable_database_reports_down_without_raising() -> None:
    got = scrape(PipelineCollector("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"))
    assert got == {"gx_pipeline_up": 0}
