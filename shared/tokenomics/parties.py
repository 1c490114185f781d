"""Who an account is: resolve a user (profile id or on-chain id), organisation, treasury or pool
to its chain account, its account type (which decides the fee type) and its country (which
decides the fee scope), from the read models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared import db, hot_reads
from shared.api import as_uuid
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


def _on_chain_user(row: dict[str, Any]) -> Party:
    """A user as the other side of a payment: only once the chain knows them."""
    if row["fabric_user_id"] is None:
        raise NotFound("this user is not registered on chain yet", code="RECIPIENT_NOT_ON_CHAIN")
    return _user(row)


def _user(row: dict[str, Any]) -> Party:
    return Party(row["fabric_user_id"], AccountType.INDIVIDUAL, row["nationality_country_code"],
                 str(row["profile_id"]), row["status"])


_USER_SQL = ("SELECT profile_id, fabric_user_id, nationality_country_code, status FROM user_profiles"
             " WHERE deleted_at IS NULL AND ")


def user_by_profile(profile_id: str) -> dict[str, Any] | None:
    profile_id = as_uuid(profile_id)
    if profile_id is None:
        return None
    return db.fetch_one(_USER_SQL + "profile_id = %s", (profile_id,))


def resolve(ref: str) -> Party:
    """The party behind `ref`: a profile id, an on-chain user id, an organisation id, a treasury
    `treasury_<CC>` or a system pool; NotFound otherwise (and for users not yet on chain)."""
    row = user_by_profile(ref) or db.fetch_one(_USER_SQL + "fabric_user_id = %s", (ref,))
    if row is not None:
        return _on_chain_user(row)
    tenant = get_settings().tenant
    cc = treasury_country(ref)
    # A treasury or pool only by a name the chain has created: any other is refused here, like
    # an unknown user, instead of being accepted and failing on chain.
    if cc is not None and db.fetch_one(
            "SELECT 1 FROM rm_treasuries WHERE tenant_id = %s AND treasury_id = %s",
            (tenant, ref)):
        return Party(ref, AccountType.TREASURY, cc)
    if is_system_account(ref) and db.fetch_one(
            "SELECT 1 FROM rm_accounts WHERE tenant_id = %s AND account_id = %s", (tenant, ref)):
        return Party(ref, AccountType.SYSTEM, None)
    org = db.fetch_one(
        "SELECT org_id, org_type, country, status FROM rm_organizations"
        " WHERE tenant_id = %s AND org_id = %s", (tenant, ref))
    if org is not None and org["org_type"] in _ORG_TYPES:
        return Party(org["org_id"], _ORG_TYPES[org["org_type"]], org["country"], None, org["status"])
    raise NotFound("no such account", code="ACCOUNT_NOT_FOUND")


def params() -> parameters.Params:
    """The parameters the chain uses now: the chain's values over the catalogue defaults."""
    from shared.readmodels.system import get_chain_parameters

    return parameters.Params(get_chain_parameters(tenant=get_settings().tenant))


def fee_params() -> parameters.Params:
    """`params()` for fee quotes, read at most once a second per process (`shared.hot_reads`):
    a quote is the client's preview; the chain charges with its own values."""
    return hot_reads.remembered(("fee_params", get_settings().tenant), params)


@dataclass(frozen=True, slots=True)
class Transfer:
    """Both sides of a user's transfer, as the read models show them now."""

    sender: Party | None  # None: the sender's profile does not exist
    sender_frozen: bool
    sender_balance: int
    recipient_row: dict[str, Any] | None  # None: not a user (or unknown): resolve it the long way
    recipient_frozen: bool

    @property
    def recipient(self) -> Party | None:
        """The user recipient (NotFound while they are not on chain), or None."""
        return _on_chain_user(self.recipient_row) if self.recipient_row is not None else None


def transfer(sender_profile_id: str, recipient_ref: str) -> Transfer:
    """Sender and user recipient with their wallets' frozen flags and the sender's balance, in one
    query (the transfer accept's hot path). A recipient that is not a user comes back None."""
    sender = as_uuid(sender_profile_id)
    recipient_profile = as_uuid(recipient_ref)
    rows = db.fetch_all(
        "SELECT p.profile_id, p.fabric_user_id, p.nationality_country_code, p.status,"
        "       coalesce(a.frozen, false) AS frozen, coalesce(a.balance, 0) AS balance"
        " FROM user_profiles p"
        " LEFT JOIN rm_accounts a ON a.tenant_id = %(t)s AND a.account_id = p.fabric_user_id"
        " WHERE p.deleted_at IS NULL"
        "   AND (p.profile_id = %(sender)s OR p.profile_id = %(rp)s OR p.fabric_user_id = %(rf)s)",
        {"t": get_settings().tenant, "sender": sender, "rp": recipient_profile,
         "rf": recipient_ref})
    sender_row = next((r for r in rows if str(r["profile_id"]) == sender), None)
    recipient_row = next((r for r in rows if str(r["profile_id"]) == recipient_profile), None) or \
        next((r for r in rows if r["fabric_user_id"] == recipient_ref), None)
    return Transfer(
        sender=_user(sender_row) if sender_row is not None else None,
        sender_frozen=bool(sender_row and sender_row["frozen"]),
        sender_balance=int(sender_row["balance"]) if sender_row is not None else 0,
        recipient_row=recipient_row,
        recipient_frozen=bool(recipient_row and recipient_row["frozen"]),
    )


def frozen(account_id: str) -> bool:
    row = db.fetch_one("SELECT frozen FROM rm_accounts WHERE tenant_id = %s AND account_id = %s",
                       (get_settings().tenant, account_id))
    return bool(row and row["frozen"])
