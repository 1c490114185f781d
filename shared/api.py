"""Conventions shared by every HTTP request and reply model.

JSON field names are camelCase (Python attributes snake_case); request models reject unknown
fields, so a misspelt or unsupported field is a 422 and never silently ignored (gaps.md B21).
Amounts are integer Qirat (`shared.domain.money`): accepted only as a JSON string of digits (a
client that sends `10` meaning 10 GX is told how to write it, instead of moving 10 Qirat) and
always answered as one, so no client ever rounds money through a float.
"""

from __future__ import annotations

import functools
import typing
import uuid
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)
from pydantic.alias_generators import to_camel

from shared.domain import money


def as_uuid(value: str) -> str | None:
    """`value` as a canonical uuid string, or None when it is not a uuid. Ids in paths and bodies
    go through this before they reach SQL: PostgreSQL takes the canonical form, but not every
    spelling Python's `uuid.UUID` accepts (`urn:uuid:...`, one brace), which would be a cast
    error there, not a 404."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class ApiModel(BaseModel):
    """Base of request bodies: camelCase on the wire, unknown fields rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )


class PatchModel(ApiModel):
    """Base of partial updates: a field may be left out (unchanged) but never sent as null,
    which would clear a value that must exist (a 422 naming the field, not a database error)."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("leave the field out to keep its value; null is not allowed")
        return value


class ReplyModel(BaseModel):
    """Base of reply bodies: camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def _amount(value: Any) -> int:
    return money.parse(value, strings_only=True)


def _threshold(value: Any) -> int:
    return money.parse(value, name="amountThreshold", allow_zero=True, strings_only=True)


_DIGITS = Field(json_schema_extra={"type": "string", "pattern": "^[0-9]+$"})
_AS_DIGITS = PlainSerializer(money.to_wire, return_type=str)

#: A positive amount of Qirat in a request: a string of digits only (`money.parse`).
Qirat = Annotated[int, BeforeValidator(_amount), _DIGITS, _AS_DIGITS]
#: An approval rule's threshold: 0 (every amount) is allowed.
ThresholdQirat = Annotated[int, BeforeValidator(_threshold), _DIGITS, _AS_DIGITS]
#: A balance or fee in Qirat (may be zero), always answered as a string.
QiratOut = Annotated[int, PlainSerializer(str, return_type=str)]


# --- who may see a reply field ----------------------------------------------------------------

#: The audiences a caller can belong to for one resource: everyone is `public`; staff are ADMIN
#: and SUPER_ADMIN; `owner` is the user a route's owner parameter names; `stakeholder` is granted
#: by the handler once it has checked the caller against the resource (an organization's
#: stakeholders). A reply field declared with `visible_to(...)` is left out of the JSON for any
#: other caller, by `shared.http` when it renders the reply: one place, default deny.
PUBLIC, OWNER, STAKEHOLDER, STAFF = "public", "owner", "stakeholder", "staff"
AUDIENCES = frozenset({PUBLIC, OWNER, STAKEHOLDER, STAFF})
VISIBILITY_KEY = "x-visible-to"


def visible_to(*audiences: str) -> Any:
    """Field metadata restricting a reply field to `audiences` (declare it `Annotated[T, ...]`
    with a default, since it may be absent); the OpenAPI document shows it as `x-visible-to`."""
    unknown = set(audiences) - AUDIENCES
    if unknown or not audiences:
        raise ValueError(f"unknown audiences {sorted(unknown)}")
    extra: dict[str, Any] = {VISIBILITY_KEY: sorted(audiences)}
    return Field(json_schema_extra=extra)


def field_audiences(info: Any) -> frozenset[str] | None:
    """The audiences a reply field is restricted to, or None when it is public."""
    extra = info.json_schema_extra
    if isinstance(extra, dict) and VISIBILITY_KEY in extra:
        return frozenset(extra[VISIBILITY_KEY])
    return None


@functools.cache
def hidden_fields(model: type[BaseModel], audiences: frozenset[str]) -> dict[str, Any] | None:
    """The `exclude` argument of `model_dump` that leaves out what `audiences` may not see,
    nested models and lists of them included; None when they may see everything."""
    exclude: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        allowed = field_audiences(info)
        if allowed is not None and not allowed & audiences:
            exclude[name] = True
            continue
        nested, many = _nested_model(info.annotation)
        if nested is not None:
            inner = hidden_fields(nested, audiences)
            if inner:
                exclude[name] = {"__all__": inner} if many else inner
    return exclude or None


def _nested_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the reply model inside `annotation`, whether it is a list or dict of them)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    many = origin in (list, tuple, set, frozenset, dict)
    for arg in args[-1:] if origin is dict else args:
        found, inner_many = _nested_model(arg)
        if found is not None:
            return found, many or inner_many
    return None, False
