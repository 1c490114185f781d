"""The projector handler policy: ack, retry or dead-letter, decided in one place.

Every projector function is `@functions_framework.cloud_event` over `@projector` over
`def project_x(conn, record) -> None`. For each delivery:

- the CloudEvent is parsed and its payload validated against its schema; an unknown type, a type
  this function is not subscribed to, a schema violation or a missing chain position is
  permanent: the event is written to `event_dead_letters` (source `projector`) and acknowledged;
- otherwise, in ONE transaction: the processed-event row (a duplicate delivery finds it and is
  acknowledged without effect), the read-model change, and the projected-position mark used for
  the projection lag;
- `ProjectionRejected` from the projection (the event contradicts itself or the read model in a
  way no retry can fix) rolls that back and dead-letters the event instead;
- anything else (database down, serialization conflict or deadlock) propagates: the framework
  answers non-2xx and the broker retries with backoff, then dead-letters it itself. (No
  projection waits for a prerequisite: each builds what it needs from its own event, see
  `shared.readmodels.guarded`; one that ever must should raise, and be retried, the same way.)

A dead-lettered event is marked as disposed of (projected position) in the same transaction as
its dead letter, so the lag does not wait on it; redeliveries find the open dead letter and are
acknowledged without a second row; the admin replay simply sends the event again.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import psycopg

from shared import db, tracing
from shared.events import deadletters, tracking
from shared.events.cloudevent import (
    ChainRecord,
    CloudEvent,
    MalformedEvent,
    PermanentEventError,
    attributes_of,
    data_of,
    parse,
)
from shared.observability import EVENTS_HANDLED, get_logger

log = get_logger(__name__)

Conn = psycopg.Connection[Any]
Projection = Callable[[Conn, ChainRecord], None]


class ProjectionRejected(Exception):
    """Permanent: this event can never be projected as it is (dead-lettered with the message)."""


@functools.cache
def _subscribed(name: str) -> frozenset[str]:
    from knative.registry import get_spec

    return frozenset(get_spec(name).event_types)


def mark_projected(conn: Conn, event_id: str, block_number: int) -> None:
    conn.execute(
        "INSERT INTO projected_events (event_id, block_number) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING",
        (event_id, block_number),
    )


def _safe_int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _dead_letter(name: str, event: CloudEvent, reason: str) -> None:
    """Record a permanent failure (once per event and consumer) and acknowledge the event."""
    event_id = str(event["id"])
    block = _safe_int(event.get("blocknumber"))
    try:
        payload = data_of(event)
    except MalformedEvent:
        payload = None
    with db.transaction() as conn:
        # One open dead letter per (function, event): a redelivery of the same bad event is
        # acknowledged without a second row. No processed-event row is written: the event was
        # not projected, so a replay (or a corrected redelivery) is projected normally, and an
        # event that was in fact projected is still recognised as a duplicate.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dlq:{name}:{event_id}",))
        if conn.execute(
            "SELECT 1 FROM event_dead_letters WHERE source = 'projector' AND subscriber = %s"
            " AND event_id = %s AND status = 'DEAD'",
            (name, event_id),
        ).fetchone():
            return
        deadletters.record(
            conn,
            source="projector",
            subscriber=name,
            reason=reason,
            event_id=event_id,
            event_type=str(event["type"]),
            attributes=attributes_of(event),
            payload=payload,
            block_number=block,
            tx_id=str(event.get("txid") or "") or None,
        )
        if block is not None:
            mark_projected(conn, event_id, block)
    log.error("event dead-lettered", function=name, event_id=event_id, reason=reason)


def projector(fn: Projection) -> Callable[[CloudEvent], None]:
    """Wrap `fn(conn, record)` as a CloudEvent target named like `fn`, with the policy above."""
    name = fn.__name__

    @functools.wraps(fn)
    def target(event: CloudEvent) -> None:
        # The command's trace, when the event carries one (CloudEvents distributed tracing).
        with tracing.step(f"project {name}", event.get("traceparent"), event_id=event["id"]) as tp:
            _handle(event, traced=tp is not None)

    def _handle(event: CloudEvent, *, traced: bool) -> None:
        started = time.perf_counter()
        event_type = str(event["type"])
        try:
            if event_type not in _subscribed(name):
                raise MalformedEvent(f"{name} is not subscribed to {event_type}")
            record = parse(event)
        except PermanentEventError as exc:
            _dead_letter(name, event, str(exc))
            EVENTS_HANDLED.labels(name, event_type, "dead_lettered").inc()
            return
        try:
            # Pipeline mode: BEGIN and the tracking insert travel in one round trip, the
            # projection's statements and COMMIT in one more (the commit's fsync dominates).
            with db.connection() as conn, conn.pipeline(), conn.transaction():
                if not tracking.process_once(conn, name, record.id):
                    EVENTS_HANDLED.labels(name, event_type, "duplicate").inc()
                    return
                fn(conn, record)
                mark_projected(conn, record.id, record.block_number)
        except ProjectionRejected as exc:
            _dead_letter(name, event, f"rejected: {exc}")
            EVENTS_HANDLED.labels(name, event_type, "dead_lettered").inc()
            return
        except Exception:
            EVENTS_HANDLED.labels(name, event_type, "retry").inc()
            log.warning("projection failed; the broker will retry", function=name,
                        event_id=record.id, exc_info=True)
            raise
        EVENTS_HANDLED.labels(name, event_type, "projected").inc()
        # Info for a command's event (the projection step of its trace), debug otherwise.
        (log.info if traced else log.debug)(
            "projected", function=name, event_id=record.id,
            ms=round((time.perf_counter() - started) * 1000, 2))

    return target
