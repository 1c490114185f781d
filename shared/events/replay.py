"""Listing and replaying dead-lettered events (the admin use cases behind
`GET /api/v1/admin/dead-letters` and `POST /api/v1/admin/dead-letters/{deadLetterId}/replay`).

Replay re-sends the stored CloudEvent to the broker so the subscribed projector handles it again:
1. the event is rebuilt from its stored attributes and data and re-validated against its schema
   (a listener dead letter is usually a schema problem: it can only be replayed once the schema
   or the catalogue accepts it; otherwise 422 and nothing changes);
2. the event is POSTed to the broker, retried until acknowledged (503 if it never is; the dead
   letter stays DEAD and can be replayed again);
3. the row is marked REPLAYED, in the transaction that also writes the call's audit record
   (`shared.audit_calls`, from the function's contract).
A dead letter never carries a processed-event row (see `shared.events.projector`), so the
projector handles the replay as new, while an event that was in fact projected before (a broker
dead letter whose last response was lost) is recognised as a duplicate and never applied twice.
At least once: a failure between 2 and 3 leaves the row DEAD though the event was delivered;
replaying it again is harmless for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared import db
from shared.errors import Conflict, NotFound, Unavailable, ValidationFailed
from shared.events import deadletters
from shared.events.catalogue import InvalidPayload, UnknownEvent, get_catalogue
from shared.events.cloudevent import (
    CloudEvent,
    MalformedEvent,
    data_of,
    from_http_request,
    rebuild,
)


class DeadLetterQuery(BaseModel):
    """Query string of the dead-letter list."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["DEAD", "REPLAYED", "ALL"] = "DEAD"
    source: Literal["broker", "chain-listener", "projector"] | None = None
    before: int | None = Field(None, ge=1, description="cursor: the last id of the previous page")
    limit: int = Field(50, ge=1, le=200)


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "source": row["source"],
        "subscriber": row["subscriber"],
        "eventId": row["event_id"],
        "eventType": row["event_type"],
        "reason": row["reason"],
        "attempts": row["attempts"],
        "attributes": row["headers"],
        "payload": row["payload"],
        "blockNumber": str(row["block_number"]) if row["block_number"] is not None else None,
        "txId": row["tx_id"],
        "status": row["status"],
        "createdAt": row["created_at"].isoformat(),
        "replayedAt": row["replayed_at"].isoformat() if row["replayed_at"] else None,
        "replayedBy": row["replayed_by"],
    }


def list_dead_letters(query: DeadLetterQuery, *, tenant: str = "default") -> dict[str, Any]:
    rows = deadletters.list_page(
        status=None if query.status == "ALL" else query.status,
        source=query.source,
        before_id=query.before,
        limit=query.limit + 1,
        tenant_id=tenant,
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {
        "items": [_json(r) for r in rows],
        "next": str(rows[-1]["id"]) if more and rows else None,
    }


def _is_http_request(headers: dict[str, Any]) -> bool:
    return any(k.lower().startswith("ce-") or k.lower() == "content-type" for k in headers)


def _event_for(row: dict[str, Any]) -> CloudEvent:
    """The dead-lettered CloudEvent, exactly as it was: rebuilt from the HTTP request the broker
    stored, or from the attributes and data the listener and the projectors store."""
    # The Knative dead-letter sink adds its own knativeerror* extensions: not part of the event.
    headers = {k: v for k, v in dict(row["headers"] or {}).items()
               if v is not None and not k.lower().startswith("knativeerror")}
    try:
        if row["raw_body"] is not None and _is_http_request(headers):
            event = from_http_request({k: str(v) for k, v in headers.items()}, bytes(row["raw_body"]))
        else:
            attributes = dict(headers)
            attributes.setdefault("id", row["event_id"])
            attributes.setdefault("type", row["event_type"])
            attributes.setdefault("specversion", "1.0")
            attributes.setdefault("datacontenttype", "application/json")
            if row["block_number"] is not None:
                attributes.setdefault("blocknumber", str(row["block_number"]))
            if row["tx_id"]:
                attributes.setdefault("txid", row["tx_id"])
            if not all(attributes.get(k) for k in ("id", "type", "source")):
                raise ValueError("the event's id, type or source is missing")
            event = rebuild(attributes, row["payload"])
    except (ValueError, MalformedEvent) as exc:  # what the stored request lacks
        raise ValidationFailed(f"the dead letter cannot be rebuilt as a CloudEvent: {exc}",
                               code="DEAD_LETTER_NOT_REPLAYABLE") from None
    try:
        get_catalogue().for_type(str(event["type"])).validate(data_of(event))
    except (UnknownEvent, InvalidPayload, MalformedEvent) as exc:
        raise ValidationFailed(f"the event still does not validate: {exc}",
                               code="DEAD_LETTER_STILL_INVALID") from None
    return event


def replay(
    dead_letter_id: int,
    *,
    actor_id: str,
    send: Callable[[CloudEvent], None],
) -> dict[str, Any]:
    """Re-send one dead letter to the broker; the updated dead letter."""
    with db.connection() as conn:
        row = deadletters.get(conn, dead_letter_id)
    if row is None:
        raise NotFound(f"dead letter {dead_letter_id} does not exist", code="DEAD_LETTER_NOT_FOUND")
    if row["status"] != "DEAD":
        raise Conflict(f"dead letter {dead_letter_id} was already replayed",
                       code="DEAD_LETTER_ALREADY_REPLAYED")
    event = _event_for(row)
    try:
        send(event)
    except Exception as exc:
        raise Unavailable("the broker did not accept the event; try again",
                          code="BROKER_UNAVAILABLE", retry_after=5) from exc
    with db.transaction() as conn:
        current = deadletters.get(conn, dead_letter_id, lock=True)
        if current is None or current["status"] != "DEAD":
            raise Conflict(f"dead letter {dead_letter_id} was already replayed",
                           code="DEAD_LETTER_ALREADY_REPLAYED")
        deadletters.mark_replayed(conn, dead_letter_id, by=actor_id)
        updated = deadletters.get(conn, dead_letter_id)
    assert updated is not None
    return _json(updated)
