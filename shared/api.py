"""Conventions shared by every HTTP request and reply model.

JSON field names are camelCase (Python attributes snake_case); request models reject unknown
fields, so a misspelt or unsupported field is a 422 and never silently ignored (gaps.md B21).
Amounts are integer Qirat: accepted as a JSON integer or a string of digits, always answered as a
string of digits, so no client ever rounds money through a float.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

MAX_QIRAT = 2**63 - 1


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


class ReplyModel(BaseModel):
    """Base of reply bodies: camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def _to_qirat(value: Any) -> Any:
    if isinstance(value, bool):  # bool is an int in Python; never money
        raise ValueError("amount must be an integer number of Qirat")
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit():
            raise ValueError("amount must be a string of digits (integer Qirat)")
        return int(value)
    if isinstance(value, int):
        return value
    raise ValueError("amount must be an integer number of Qirat (a string of digits or an integer)")


#: A positive amount of Qirat in a request or reply.
Qirat = Annotated[
    int,
    BeforeValidator(_to_qirat),
    Field(gt=0, le=MAX_QIRAT, json_schema_extra={"type": "string", "pattern": "^[0-9]+$"}),
    PlainSerializer(str, return_type=str),
]
#: A balance or fee in Qirat (may be zero), always answered as a string.
QiratOut = Annotated[int, PlainSerializer(str, return_type=str)]
