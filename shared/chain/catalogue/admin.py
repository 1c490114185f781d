"""Commands of the AdminContract: bootstrap, countries, parameters, pause/resume, admins, treasuries.

Identities follow the chain's role per function (commands.md §3 AdminContract, §4 and gaps C19):
super admin for bootstrap, countries, pause, resume and appointing admins; admin for parameters
and treasury activation. UPDATE_SYSTEM_PARAMETER is checked against the parameter catalogue when
the command is accepted, so an unknown name or an out-of-bounds value never enters the outbox.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import AliasChoices, Field, StringConstraints, field_validator, model_validator

from shared.chain.catalogue import CommandDef, define
from shared.chain.catalogue.tokenomics import CountryCode, Strict
from shared.chain.port import ServiceIdentity
from shared.domain import genesis, parameters
from shared.domain.errors import RuleViolation

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Empty(Strict):
    pass


_PLAIN_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class CountryShare(Strict):
    code: CountryCode = Field(validation_alias=AliasChoices("code", "countryCode"))
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    percentage: str = Field(validation_alias=AliasChoices("percentage", "populationPct"))

    @field_validator("percentage", mode="before")
    @classmethod
    def _share(cls, value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            # pydantic reports ValueError as a field error; a TypeError would escape as a crash.
            raise ValueError("percentage must be a decimal between 0 and 1")  # noqa: TRY004
        text = str(value).strip()
        if not _PLAIN_DECIMAL.match(text):  # the event schema's form: no exponents, no signs
            raise ValueError("percentage must be a plain decimal such as 0.00012345")
        try:
            genesis.parse_share(text)
        except RuleViolation as exc:
            raise ValueError(exc.message) from None
        return text


class InitializeCountryData(Strict):
    countries_data: list[CountryShare] = Field(alias="countriesData", min_length=1, max_length=300)

    @model_validator(mode="after")
    def _unique(self) -> InitializeCountryData:
        codes = [c.code for c in self.countries_data]
        if len(codes) != len(set(codes)):
            raise ValueError("a country is listed twice")
        if sum(genesis.parse_share(c.percentage) for c in self.countries_data) > 1:
            raise ValueError("population shares add up to more than 1")
        return self


class UpdateSystemParameter(Strict):
    param_id: str = Field(alias="paramId", validation_alias=AliasChoices("paramId", "paramKey"))
    new_value: str = Field(alias="newValue", validation_alias=AliasChoices("newValue", "paramValue"))

    @model_validator(mode="after")
    def _catalogued(self) -> UpdateSystemParameter:
        try:
            canonical = parameters.validate(self.param_id, self.new_value)
        except RuleViolation as exc:
            raise ValueError(exc.message) from None
        object.__setattr__(self, "new_value", canonical)
        return self


class PauseSystem(Strict):
    reason: Reason


class AppointAdmin(Strict):
    new_admin_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                    max_length=200)] = Field(alias="newAdminId")


class ActivateTreasury(Strict):
    country_code: CountryCode = Field(alias="countryCode")


def _countries_arg(p: InitializeCountryData) -> list[str]:
    # The later, transformed shape (commands.md): [{countryCode, percentage}].
    return [json.dumps([{"countryCode": c.code, "percentage": c.percentage}
                        for c in p.countries_data], separators=(",", ":"))]


BOOTSTRAP_SYSTEM = define(CommandDef(
    type="BOOTSTRAP_SYSTEM", contract="AdminContract", function="BootstrapSystem",
    payload=Empty, args=lambda p: [], identity=ServiceIdentity.SUPER_ADMIN,
    aggregate=lambda p: "system", service="admin",
    description="One-time: pre-mint the pools, counters and parameters.",
))

INITIALIZE_COUNTRY_DATA = define(CommandDef(
    type="INITIALIZE_COUNTRY_DATA", contract="AdminContract", function="InitializeCountryData",
    payload=InitializeCountryData, args=_countries_arg, identity=ServiceIdentity.SUPER_ADMIN,
    aggregate=lambda p: "system", service="admin",
    description="Per-country genesis quotas and Locked treasuries.",
))

UPDATE_SYSTEM_PARAMETER = define(CommandDef(
    type="UPDATE_SYSTEM_PARAMETER", contract="AdminContract", function="UpdateSystemParameter",
    payload=UpdateSystemParameter, args=lambda p: [p.param_id, p.new_value],
    identity=ServiceIdentity.ADMIN, aggregate=lambda p: f"param:{p.param_id}", service="admin",
    description="Set a catalogued system parameter.",
))

PAUSE_SYSTEM = define(CommandDef(
    type="PAUSE_SYSTEM", contract="AdminContract", function="PauseSystem",
    payload=PauseSystem, args=lambda p: [p.reason], identity=ServiceIdentity.SUPER_ADMIN,
    aggregate=lambda p: "system", service="admin",
    description="Block every state-changing chain function except ResumeSystem.",
))

RESUME_SYSTEM = define(CommandDef(
    type="RESUME_SYSTEM", contract="AdminContract", function="ResumeSystem",
    payload=Empty, args=lambda p: [], identity=ServiceIdentity.SUPER_ADMIN,
    aggregate=lambda p: "system", service="admin", description="Lift a pause.",
))

APPOINT_ADMIN = define(CommandDef(
    type="APPOINT_ADMIN", contract="AdminContract", function="AppointAdmin",
    payload=AppointAdmin, args=lambda p: [p.new_admin_id], identity=ServiceIdentity.SUPER_ADMIN,
    aggregate=lambda p: f"user:{p.new_admin_id}", service="admin",
    description="Record an admin appointment on chain.",
))

ACTIVATE_TREASURY = define(CommandDef(
    type="ACTIVATE_TREASURY", contract="AdminContract", function="ActivateTreasuryAccount",
    payload=ActivateTreasury, args=lambda p: [p.country_code], identity=ServiceIdentity.ADMIN,
    aggregate=lambda p: f"country:{p.country_code}", service="admin",
    description="Activate a national treasury (Locked -> Active).",
))
