"""Chain events as CloudEvents 1.0: the only module that imports `cloudevents`.

A chain event becomes a CloudEvent with
    id      = "<tx id>:<event index>" (Fabric keeps one event per transaction, so the index is 0)
    source  = "<channel>/<chaincode>"
    type    = the catalogue's type, org.gxcoin.chain.<snake_name>.v1
    time    = the block's timestamp (never the processing time, gaps.md C10)
    extensions blocknumber, txindex, txid, eventname
and its payload, validated against its schema, as JSON `data`. `parse` is the inverse the
projectors use: it checks the type and the payload and returns a `ChainRecord`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cloudevents.conversion import to_binary, to_structured
from cloudevents.exceptions import GenericException
from cloudevents.http import CloudEvent, from_http

from shared.chain.port import ChainEvent
from shared.events.catalogue import Catalogue, InvalidPayload, UnknownEvent, get_catalogue

__all__ = [
    "ChainRecord",
    "CloudEvent",
    "InvalidPayload",
    "MalformedEvent",
    "PermanentEventError",
    "UnknownEvent",
    "attributes_of",
    "event_id",
    "from_chain",
    "from_http_request",
    "parse",
    "rebuild",
    "to_http",
]

SPEC_EXTENSIONS = ("blocknumber", "txindex", "txid", "eventname")



class MalformedEvent(ValueError):
    """The CloudEvent lacks a chain position or its data is not a JSON object."""


# Every failure of these kinds means the event can never be projected as it is.
PermanentEventError = (UnknownEvent, InvalidPayload, MalformedEvent)


@dataclass(frozen=True, slots=True)
class ChainRecord:
    """A validated chain event as a projector sees it."""

    id: str
    type: str
    name: str
    source: str
    time: datetime
    block_number: int
    tx_index: int
    tx_id: str
    payload: dict[str, Any]

    @property
    def position(self) -> tuple[int, int]:
        return (self.block_number, self.tx_index)


def event_id(tx_id: str, event_index: int = 0) -> str:
    return f"{tx_id}:{event_index}"


def from_chain(
    event: ChainEvent, *, channel: str, chaincode: str, catalogue: Catalogue | None = None
) -> CloudEvent:
    """The CloudEvent for a chain event; raises UnknownEvent / InvalidPayload when invalid."""
    definition = (catalogue or get_catalogue()).for_name(event.name)
    definition.validate(event.payload)
    timestamp = event.timestamp
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    attributes = {
        "id": event_id(event.tx_id),
        "source": f"{channel}/{chaincode}",
        "type": definition.type,
        "time": timestamp.isoformat(),
        "datacontenttype": "application/json",
        "blocknumber": str(event.block_number),
        "txindex": str(event.tx_index),
        "txid": event.tx_id,
        "eventname": event.name,
    }
    return CloudEvent(attributes, event.payload)


def attributes_of(event: CloudEvent) -> dict[str, Any]:
    """Every context attribute (for the dead-letter table), JSON-safe."""
    return {k: str(v) for k, v in event.get_attributes().items()}


def data_of(event: CloudEvent) -> Any:
    data = event.data
    if isinstance(data, (bytes, bytearray)):
        try:
            return json.loads(data)
        except ValueError:
            raise MalformedEvent("event data is not JSON") from None
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            raise MalformedEvent("event data is not JSON") from None
    return data


def rebuild(attributes: Mapping[str, Any], data: Any) -> CloudEvent:
    """A CloudEvent from stored attributes and data (replaying a dead letter)."""
    try:
        return CloudEvent(dict(attributes), data)
    except GenericException as exc:
        raise MalformedEvent(f"not a CloudEvent: {exc}") from None


def to_http(event: CloudEvent, *, structured: bool = False) -> tuple[dict[str, str], bytes]:
    """Headers and body to POST (binary content mode unless `structured`)."""
    headers, body = to_structured(event) if structured else to_binary(event)
    return dict(headers), body if isinstance(body, bytes) else str(body).encode()


def from_http_request(headers: Mapping[str, str], body: bytes) -> CloudEvent:
    """The CloudEvent in an HTTP request (either content mode); MalformedEvent if there is none."""
    try:
        return from_http(dict(headers), body)
    except GenericException as exc:
        raise MalformedEvent(f"not a CloudEvent: {exc}") from None


def _int_attr(event: CloudEvent, name: str) -> int:
    raw = event.get(name)
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise MalformedEvent(f"extension {name!r} is missing or not an integer") from None
    if value < 0:
        raise MalformedEvent(f"extension {name!r} is negative")
    return value


def parse(event: CloudEvent) -> ChainRecord:
    """Check a delivered chain CloudEvent against the catalogue and return its record.

    Raises UnknownEvent (type not registered), InvalidPayload (schema violation) or
    MalformedEvent (no chain position, data not a JSON object): all permanent.
    """
    event_type = str(event["type"])
    definition = get_catalogue().for_type(event_type)
    payload = data_of(event)
    if not isinstance(payload, dict):
        raise MalformedEvent("event data is not a JSON object")
    definition.validate(payload)
    block_number = _int_attr(event, "blocknumber")
    tx_index = _int_attr(event, "txindex")
    tx_id = str(event.get("txid") or "")
    if not tx_id:
        raise MalformedEvent("extension 'txid' is missing")
    name = str(event.get("eventname") or definition.name)
    if name != definition.name:
        raise MalformedEvent(f"event name {name!r} does not belong to type {event_type}")
    raw_time = event.get("time")
    try:
        time = datetime.fromisoformat(str(raw_time))
    except ValueError:
        raise MalformedEvent("attribute 'time' is missing or not ISO-8601") from None
    return ChainRecord(
        id=str(event["id"]),
        type=event_type,
        name=name,
        source=str(event["source"]),
        time=time,
        block_number=block_number,
        tx_index=tx_index,
        tx_id=tx_id,
        payload=payload,
    )
