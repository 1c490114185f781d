"""Who an account is: resolve a user (profile id or on-chain id), organisation, treasury or pool
to its chain account, its account type (which decides the fee type) and its country (which
decides the fee scope), from the read models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from shared import db
from shared.config import get_settings
from shared.domain import parameters
from shared.domain.accounts import AccountType, is_system_account, treasury_country
from shared.errors import NotFound

_ORG_TYPES = {"BUSINESS": AccountType.BUSINESS, "NGO": AccountType.NGO,
              "GOVERNMENT": AccountType.GOVERNMENT}


@dataclass(frozen=True, slots=True)
class Party:
    account_id: str
    account_type: AccountType
    country: str | None
    profile_id: str | None = None
    status: str | None = None  # the profile's status, or the organisation's chain status


def _user(row: dict[str, Any]) -> Party:
    return Party(row["fabric_user_id"], AccountType.INDIVIDUAL, row["nationality_country_code"],
                 str(row["profile_id"]), row["status"])


_USER_SQL = ("SELECT profile_id, fabric_user_id, nationality_country_code, status FROM user_profiles"
             " WHERE deleted_at IS NULL AND ")


def user_by_profile(profile_id: str) -> dict[str, Any] | None:
    try:
        uuid.UUID(profile_id)
    except ValueError:
        return None
    return db.fetch_one(_USER_SQL + "profile_id = %s", (profile_id,))


def resolve(ref: str) -> Party:
    """The party behind `ref`: a profile id, an on-chain user id, an organisation id, a treasury
    `treasury_<CC>` or a system pool; NotFound otherwise (and for users not yet on chain)."""
    row = user_by_profile(ref) or db.fetch_one(_USER_SQL + "fabric_user_id = %s", (ref,))
    if row is not None:
        if row["fabric_user_id"] is None:
            raise NotFound("this user is not registered on chain yet", code="RECIPIENT_NOT_ON_CHAIN")
        return _user(row)
    cc = treasury_country(ref)
    if cc is not None:
        return Party(ref, AccountType.TREASURY, cc)
    if is_system_account(ref):
        return Party(ref, AccountType.SYSTEM, None)
    org = db.fetch_one(
        "SELECT org_id, org_type, country, status FROM rm_organizations"
        " WHERE tenant_id = %s AND org_id = %s", (get_settings().tenant, ref))
    if org is not None and org["org_type"] in _ORG_TYPES:
        return Party(org["org_id"], _ORG_TYPES[org["org_type"]], org["country"], None, org["status"])
    raise NotFound("no such account", code="ACCOUNT_NOT_FOUND")


def params() -> parameters.Params:
    """The parameters the chain uses now: the chain's values over the catalogue defaults."""
    from shared.readmodels.system import get_chain_parameters

    return parameters.Params(get_chain_parameters(tenant=get_settings().tenant))


def frozen(account_id: str) -> bool:
    row = db.fetch_one("SELECT frozen FROM rm_accounts WHERE tenant_id = %s AND account_id = %s",
                       (get_settings().tenant, account_id))
    return bool(row and row["frozen"])
