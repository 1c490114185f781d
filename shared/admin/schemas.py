"""Request and reply models of the admin service (spec endpoints.md §2, with its Required notes)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.api import ApiModel, ReplyModel

COUNTRY = Field(pattern=r"^[A-Z]{2}$")


class CountryShareIn(ApiModel):
    code: str = COUNTRY
    name: str = Field(min_length=2, max_length=100)
    percentage: float = Field(ge=0, le=1)


class InitializeCountriesIn(ApiModel):
    countries_data: list[CountryShareIn] | None = Field(
        None, min_length=1, max_length=300,
        description="omit to initialise every seeded country with its allocation share",
    )


class UpdateParameterIn(ApiModel):
    param_id: str = Field(min_length=1, max_length=100)
    new_value: str = Field(min_length=1, max_length=200)


class PauseIn(ApiModel):
    reason: str = Field(min_length=10, max_length=500)


class AppointAdminIn(ApiModel):
    new_admin_id: str = Field(min_length=1, max_length=100, description="profile id")


class ActivateTreasuryIn(ApiModel):
    country_code: str = COUNTRY


class SystemStatusReply(ReplyModel):
    is_paused: bool
    pause_reason: str | None
    last_updated: str | None
    bootstrapped: bool
    bootstrapped_at: str | None


class ParameterOut(ReplyModel):
    param_key: str
    param_value: str
    description: str | None
    value_type: str | None
    source: str
    updated_at: str | None


class ParameterReply(ReplyModel):
    parameter: ParameterOut


class ParameterList(ReplyModel):
    parameters: list[ParameterOut]


class CountryOut(ReplyModel):
    country_code: str
    country_name: str
    region: str | None
    allocation_share: str | None


class CountryList(ReplyModel):
    countries: list[CountryOut]


class CountryStatsReply(ReplyModel):
    stats: dict[str, Any]


class CountersReply(ReplyModel):
    counters: dict[str, Any]
