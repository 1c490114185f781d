"""The event catalogue as the read path uses it: CloudEvent type <-> chain event name <-> schema.

The contracts themselves (schema files and `catalogue.json`) live in the `events` package, which
loads and compiles them (Draft 2020-12 with format checking) once per process; this module
indexes them both ways and turns schema violations into one exception with every problem, so
the listener and the projectors validate with no per-event schema work.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

import events as contracts

TYPE_PREFIX = contracts.TYPE_PREFIX
snake = contracts.snake_case
type_for_name = contracts.cloudevent_type


class UnknownEvent(LookupError):
    """No schema is registered for this event name or CloudEvent type (a permanent failure)."""


class InvalidPayload(ValueError):
    """The payload violates its schema (a permanent failure); `errors` lists every problem."""

    def __init__(self, event_type: str, errors: list[str]) -> None:
        super().__init__(f"{event_type}: " + "; ".join(errors))
        self.event_type = event_type
        self.errors = errors


@dataclass(frozen=True)
class EventDef:
    type: str  # CloudEvent type, e.g. org.gxcoin.chain.transfer_event.v1
    name: str  # the chain event name carried under this type
    version: int
    schema_file: str
    validator: Draft202012Validator = field(repr=False, compare=False)

    def errors(self, payload: Any) -> list[str]:
        """Every violation of the schema, as 'path: message' (empty when valid)."""
        found = sorted(self.validator.iter_errors(payload), key=lambda e: list(map(str, e.absolute_path)))
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(payload)'}: {e.message}" for e in found
        ]

    def validate(self, payload: Any) -> None:
        problems = self.errors(payload)
        if problems:
            raise InvalidPayload(self.type, problems)


class Catalogue:
    """Every registered event type, indexed by CloudEvent type and by chain event name."""

    def __init__(self) -> None:
        self.by_type: dict[str, EventDef] = {}
        self.by_name: dict[str, EventDef] = {}
        for event_type, entry in contracts.catalogue().items():
            definition = EventDef(
                type=event_type,
                name=str(entry["event"]),
                version=int(entry.get("version", 1)),
                schema_file=str(entry["schema"]),
                validator=contracts.validator_for_type(event_type),
            )
            self.by_type[event_type] = definition
            # The newest version is what the listener emits for a name.
            known = self.by_name.get(definition.name)
            if known is None or known.version < definition.version:
                self.by_name[definition.name] = definition

    def for_type(self, event_type: str) -> EventDef:
        try:
            return self.by_type[event_type]
        except KeyError:
            raise UnknownEvent(f"no schema registered for event type {event_type!r}") from None

    def for_name(self, name: str) -> EventDef:
        try:
            return self.by_name[name]
        except KeyError:
            raise UnknownEvent(f"no schema registered for chain event {name!r}") from None

    def types(self) -> list[str]:
        return sorted(self.by_type)


@functools.cache
def get_catalogue() -> Catalogue:
    """The catalogue of `events/`, loaded and compiled once per process."""
    return Catalogue()
