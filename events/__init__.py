"""The event contracts: one JSON Schema (draft 2020-12) per chain event and version, and a catalogue.

Files
-----
- `<snake_name>.v<N>.json`: the schema of one event payload (the chaincode event's JSON as the
  chain emits it: Go-style keys such as `userID`, amounts as JSON integers of Qirat), closed with
  `additionalProperties: false`. Its `$id` is `https://schemas.gxcoin.org/events/<file>`.
- `catalogue.json`: CloudEvent type -> `{"event": <chain event name>, "schema": <file>,
  "version": <N>}`. The type is `org.gxcoin.chain.<snake_case of the event name>.v<N>`. An event
  known under two names (GenesisDistributionEvent / GenesisDistributed, events.md §3.6) has one
  entry per name, both pointing at the same schema file.

To add an event: write its schema file, add its catalogue entry, and emit it from a contract;
tests check that every catalogue entry loads, every schema is valid 2020-12, and every event a
contract emits validates. Never change a published version: add `.v2` with a new type.

This module only reads files shipped in this package (no I/O beyond that, cached).
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

TYPE_PREFIX = "org.gxcoin.chain."


class UnknownEvent(LookupError):
    """No schema is catalogued for this event name or CloudEvent type."""


def snake_case(name: str) -> str:
    """`TransferWithFeesCompleted` -> `transfer_with_fees_completed`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def cloudevent_type(event_name: str, version: int = 1) -> str:
    """The CloudEvent type of a chain event: `org.gxcoin.chain.<snake_name>.v<version>`."""
    return f"{TYPE_PREFIX}{snake_case(event_name)}.v{version}"


def _read(name: str) -> Any:
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


@functools.cache
def catalogue() -> dict[str, dict[str, Any]]:
    """CloudEvent type -> {"event", "schema", "version"}."""
    data: dict[str, dict[str, Any]] = _read("catalogue.json")["types"]
    return data


@functools.cache
def schema(file: str) -> dict[str, Any]:
    data: dict[str, Any] = _read(file)
    return data


@functools.cache
def validator_for_type(event_type: str) -> Draft202012Validator:
    try:
        entry = catalogue()[event_type]
    except KeyError:
        raise UnknownEvent(f"no schema registered for {event_type}") from None
    return Draft202012Validator(schema(entry["schema"]), format_checker=Draft202012Validator.FORMAT_CHECKER)


def validator_for_event(event_name: str, version: int = 1) -> Draft202012Validator:
    return validator_for_type(cloudevent_type(event_name, version))


def validation_errors(event_name: str, payload: Any, version: int = 1) -> list[str]:
    """Every way `payload` fails the schema of `event_name` (empty when it validates)."""
    validator = validator_for_event(event_name, version)
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<payload>'}: {err.message}"
        for err in validator.iter_errors(payload)
    ]


def validate(event_name: str, payload: Any, version: int = 1) -> None:
    """Raise `ValidationError` (jsonschema) or `UnknownEvent` when the payload does not fit."""
    errors = validation_errors(event_name, payload, version)
    if errors:
        raise ValidationError(f"{event_name} v{version}: " + "; ".join(errors))


__all__ = [
    "UnknownEvent",
    "catalogue",
    "cloudevent_type",
    "schema",
    "snake_case",
    "validate",
    "validation_errors",
    "validator_for_event",
    "validator_for_type",
]
