"""The broker's dead-letter sink: CloudEvent target `record_dead_letter` (knative/base/).

Knative sends an event here after a Trigger's retries are exhausted, with the extensions
`knativeerrordest` (the subscriber URL), `knativeerrorcode` (its last HTTP status) and
`knativeerrordata` (base64 of its last response body). Each one becomes a row in
`event_dead_letters` (source `broker`) that an operator lists and replays, so no event is lost
silently. Ack/retry: the row is written before returning; a failure to write raises, so the
broker retries this delivery instead of dropping it. A redelivered dead letter (same subscriber,
event id and error) is acknowledged without a second row.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

import functions_framework

from shared import db
from shared.events import cloudevent, deadletters


def subscriber_of(destination: str | None) -> str | None:
    """The Knative Service name from a subscriber URL (`http://name.ns.svc.cluster.local/`)."""
    if not destination:
        return None
    host = urlsplit(destination).hostname or destination
    return host.split(".", 1)[0] or None


def reason_of(attributes: dict[str, Any]) -> str:
    code = attributes.get("knativeerrorcode") or "unknown"
    reason = f"broker delivery failed after retries: last status {code}"
    raw = attributes.get("knativeerrordata")
    if raw:
        try:
            body = base64.b64decode(raw, validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            body = str(raw)
        reason += f": {body[:1000]}"
    return reason


@functions_framework.cloud_event
def record_dead_letter(event: Any) -> None:
    attributes = cloudevent.attributes_of(event)
    try:
        payload, raw = cloudevent.data_of(event), None
    except cloudevent.MalformedEvent:
        # Keep what arrived, byte for byte: the point of the table is that nothing is lost.
        data = event.data
        payload, raw = None, data if isinstance(data, bytes) else str(data).encode()
    subscriber = subscriber_of(attributes.get("knativeerrordest"))
    reason = reason_of(attributes)
    with db.transaction() as conn:
        # One row per failed delivery, even if the broker redelivers the dead letter itself.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dls:{attributes.get('id')}",))
        seen = conn.execute(
            "SELECT 1 FROM event_dead_letters WHERE source = 'broker' AND event_id = %s"
            " AND subscriber IS NOT DISTINCT FROM %s AND reason = %s AND status = 'DEAD'",
            (attributes.get("id"), subscriber, reason[:2000]),
        ).fetchone()
        if seen:
            return
        deadletters.record(
            conn,
            source="broker",
            reason=reason,
            subscriber=subscriber,
            event_id=attributes.get("id"),
            event_type=attributes.get("type"),
            attributes=attributes,
            payload=payload,
            raw_body=raw,
        )
