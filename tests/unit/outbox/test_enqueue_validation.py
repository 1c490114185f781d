"""Validation at insert: unknown types and unmappable payloads never reach the outbox."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from shared.chain.catalogue import CommandDef
from shared.chain.port import ServiceIdentity
from shared.errors import ValidationFailed
from shared.outbox.enqueue import Command, UnknownCommand, validate


class ParamIn(BaseModel):
    paramId: str = Field(min_length=1)
    newValue: str


def _args(p: ParamIn) -> list[str]:
    if p.paramId == "unmappable":
        raise ValueError("no chain function takes this")
    return [p.paramId, p.newValue]


DEF = CommandDef(
    type="SET_PARAM",
    contract="AdminContract",
    function="UpdateSystemParameter",
    payload=ParamIn,
    args=_args,
    identity=ServiceIdentity.ADMIN,
    aggregate=lambda p: f"param:{p.paramId}",
    service="admin",
)
CATALOGUE = {"SET_PARAM": DEF}


def test_valid_payload_is_normalised_with_its_aggregate() -> None:
    definition, payload, aggregate = validate(
        Command("SET_PARAM", {"paramId": "votingPeriodDays", "newValue": "7"}), CATALOGUE
    )
    assert definition is DEF
    assert payload == {"paramId": "votingPeriodDays", "newValue": "7"}
    assert aggregate == "param:votingPeriodDays"


def test_unknown_type_is_refused() -> None:
    with pytest.raises(UnknownCommand) as info:
        validate(Command("CAST_VOTE", {}), CATALOGUE)
    assert info.value.code == "UNMAPPABLE_COMMAND"


def test_invalid_payload_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate(Command("SET_PARAM", {"paramId": ""}), CATALOGUE)
    fields = {e["field"] for e in info.value.errors}
    assert {"paramId", "newValue"} <= fields


def test_payload_that_cannot_be_mapped_is_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate(Command("SET_PARAM", {"paramId": "unmappable", "newValue": "1"}), CATALOGUE)
    assert info.value.code == "INVALID_COMMAND"


def test_model_payload_is_accepted() -> None:
    _, payload, _ = validate(Command("SET_PARAM", ParamIn(paramId="a", newValue="b")), CATALOGUE)
    assert payload == {"paramId": "a", "newValue": "b"}
