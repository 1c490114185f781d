"""Tokenomics use cases.

A transfer is answered before the outbox when the read models already show it cannot succeed
(self-transfer, unknown or frozen party, sender not active on chain, balance below amount plus the
sender's fee share) and otherwise queued with the fee quote it will be charged: the quote comes
from `shared.domain.fees.quote`, the very function the chain runs, with the chain's current
parameters. The chain still decides: two transfers that together overdraw pass these checks, and
the chain confirms one and rejects the other.
"""

from __future__ import annotations

from typing import Any

from shared import db
from shared.api import as_uuid
from shared.auth import Principal
from shared.config import get_settings
from shared.domain import fees
from shared.domain.accounts import POOL_ALLOCATIONS, TOTAL_SUPPLY, treasury_id
from shared.domain.errors import RuleViolation
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.outbox import Command, Enqueued, enqueue
from shared.readmodels import accounts
from shared.tokenomics import parties
from shared.tokenomics.schemas import FreezeIn, GenesisIn, TransferIn
from shared.unit_of_work import command_transaction

SOURCE = "tokenomics"


class InsufficientFunds(ValidationFailed):
    code = "INSUFFICIENT_FUNDS"


def _tenant() -> str:
    return get_settings().tenant


def _sending(sender: parties.Party | None) -> parties.Party:
    """The caller as a sender: their profile exists, is ACTIVE and is on chain."""
    if sender is None:
        raise NotFound("your profile was not found", code="USER_NOT_FOUND")
    if sender.status != "ACTIVE" or sender.account_id is None:
        raise Conflict("only ACTIVE accounts registered on chain can send",
                       code="SENDER_NOT_ACTIVE")
    return sender


def quote_between(sender: parties.Party, recipient: parties.Party, amount: int) -> fees.FeeQuote:
    try:
        return fees.quote(
            amount, from_id=sender.account_id, to_id=recipient.account_id,
            from_type=sender.account_type, to_type=recipient.account_type,
            from_country=sender.country, to_country=recipient.country,
            params=parties.fee_params(),
        )
    except RuleViolation as exc:
        raise ValidationFailed(str(exc), code=getattr(exc, "code", "RULE_VIOLATION")) from None


def request_transfer(
    principal: Principal, body: TransferIn, *, idempotency_key: str
) -> tuple[Enqueued, fees.FeeQuote]:
    if body.from_user_id is not None and body.from_user_id != principal.sub:
        raise Forbidden("you can only send from your own wallet", code="NOT_OWNER")
    sides = parties.transfer(principal.sub, body.to_user_id)
    sender = _sending(sides.sender)
    recipient = sides.recipient or parties.resolve(body.to_user_id)  # the sender is checked first
    if recipient.account_id == sender.account_id:
        raise ValidationFailed(
            "cannot transfer to yourself",
            errors=[{"field": "toUserId", "message": "is the sender", "type": "self_transfer"}],
            code="SELF_TRANSFER",
        )
    if recipient.profile_id is not None and recipient.status != "ACTIVE":
        raise Conflict("the recipient's account is not active", code="RECIPIENT_NOT_ACTIVE")
    if sides.sender_frozen:
        raise Conflict("your wallet is frozen", code="WALLET_FROZEN")
    recipient_frozen = (sides.recipient_frozen if sides.recipient_row is not None
                        else parties.frozen(recipient.account_id))
    if recipient_frozen:
        raise Conflict("the recipient's wallet is frozen", code="RECIPIENT_FROZEN")
    q = quote_between(sender, recipient, body.amount)
    available = sides.sender_balance
    if available < q.sender_debit:
        raise InsufficientFunds(
            "insufficient balance for the amount plus your share of the fee",
            available=str(available), required=str(q.sender_debit),
        )
    with command_transaction(SOURCE) as conn:
        command = enqueue(conn, Command(
            type="TRANSFER_TOKENS",
            payload={
                "fromUserId": sender.account_id, "toUserId": recipient.account_id,
                "amount": str(body.amount), "remark": body.remark or "User-initiated transfer",
                "txTypeHint": "", "idempotencyKey": idempotency_key[:200],
            },
            request_id=idempotency_key, principal_id=principal.sub, service=SOURCE,
        ))
    return command, q


def request_genesis(admin: Principal, body: GenesisIn) -> Enqueued:
    """The admin trigger: the same request id as the automatic path after KYC approval, so the
    two can never both pay (and the chain pays a user once anyway)."""
    row = parties.user_by_profile(body.user_id) or db.fetch_one(
        "SELECT profile_id, fabric_user_id, nationality_country_code, status FROM user_profiles"
        " WHERE fabric_user_id = %s", (body.user_id,))
    if row is None:
        raise NotFound("no such user", code="USER_NOT_FOUND")
    if row["fabric_user_id"] is None or row["status"] not in ("ACTIVE", "APPROVED_PENDING_ONCHAIN"):
        raise Conflict("the user is not registered on chain", code="USER_NOT_ON_CHAIN")
    with command_transaction(SOURCE) as conn:
        return enqueue(conn, Command(
            type="DISTRIBUTE_GENESIS",
            payload={"userId": row["fabric_user_id"], "nationality": row["nationality_country_code"]},
            request_id=f"genesis:{row['profile_id']}", principal_id=admin.sub, service=SOURCE,
        ))


def set_frozen(
    admin: Principal, wallet_id: str, *, freeze: bool, body: FreezeIn | None, idempotency_key: str
) -> Enqueued:
    """Freeze or unfreeze a user's wallet (the wallet id is the owner's profile id)."""
    row = parties.user_by_profile(wallet_id)
    if row is None or row["fabric_user_id"] is None:
        raise NotFound("no such wallet", code="WALLET_NOT_FOUND")
    if parties.frozen(row["fabric_user_id"]) == freeze:
        raise Conflict(f"the wallet is already {'frozen' if freeze else 'unfrozen'}",
                       code="NO_CHANGE")
    payload: dict[str, Any] = {"userId": row["fabric_user_id"]}
    if freeze:
        assert body is not None
        payload["reason"] = body.reason
    with command_transaction(SOURCE) as conn:
        return enqueue(conn, Command(
            type="FREEZE_WALLET" if freeze else "UNFREEZE_WALLET", payload=payload,
            request_id=idempotency_key, principal_id=admin.sub, service=SOURCE))


# --- queries ---------------------------------------------------------------------------------


_WALLET = (
    "SELECT p.fabric_user_id, a.balance, a.frozen, a.frozen_reason, a.velocity_timer_start,"
    " a.updated_at FROM user_profiles p LEFT JOIN rm_accounts a"
    " ON a.tenant_id = p.tenant_id AND a.account_id = p.fabric_user_id"
    " WHERE p.profile_id = %s AND p.deleted_at IS NULL"
)


def wallet(profile_id: str) -> dict[str, Any]:
    """The wallet of a user, in one round trip (every balance and history read starts here).
    A user on chain whose account no event has touched yet has a zero balance."""
    canonical = as_uuid(profile_id)
    row = db.fetch_one(_WALLET, (canonical,)) if canonical is not None else None
    if row is None:
        raise NotFound("no such wallet", code="WALLET_NOT_FOUND")
    if row["fabric_user_id"] is None:
        raise NotFound("this user has no wallet until registered on chain",
                       code="WALLET_NOT_FOUND")
    return {
        "walletId": profile_id, "profileId": profile_id, "accountId": row["fabric_user_id"],
        "balance": str(row["balance"] or 0), "isFrozen": bool(row["frozen"]),
        "frozenReason": row["frozen_reason"],
        "velocityTaxTimerStart": (row["velocity_timer_start"].isoformat()
                                  if row["velocity_timer_start"] else None),
        "updatedAt": row["updated_at"].isoformat() if row["updated_at"] else None,
    }


def history(profile_id: str, *, limit: int, after: str | None, before: str | None) -> dict[str, Any]:
    account_id = wallet(profile_id)["accountId"]
    try:
        return accounts.history_page(account_id, limit=limit, after=after, before=before,
                                     tenant=_tenant())
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors=[
            {"field": "after" if after else "before", "message": str(exc), "type": "cursor"}
        ]) from None


def treasury(country_code: str) -> dict[str, Any]:
    from shared.readmodels.system import get_treasury

    cc = country_code.upper()
    if db.fetch_one("SELECT 1 FROM countries WHERE country_code = %s", (cc,)) is None:
        raise NotFound("unknown country", code="COUNTRY_NOT_FOUND")
    account = accounts.get_account(treasury_id(cc), tenant=_tenant())
    status = get_treasury(cc, tenant=_tenant())
    return {
        "countryCode": cc, "treasuryId": treasury_id(cc),
        "balance": account["balance"] if account else "0",
        "status": (status or {}).get("status", "NOT_INITIALIZED"),
        "updatedAt": account["updatedAt"] if account else None,
    }


def pools() -> list[dict[str, Any]]:
    out = []
    for pool_id, minted in POOL_ALLOCATIONS.items():
        account = accounts.get_account(pool_id, tenant=_tenant())
        out.append({"accountId": pool_id, "minted": str(minted),
                    "balance": account["balance"] if account else "0"})
    return out


def supply() -> dict[str, Any]:
    rows = db.fetch_all(
        "SELECT owner_type, COALESCE(sum(balance), 0) AS total, count(*) AS accounts"
        " FROM rm_accounts WHERE tenant_id = %s GROUP BY owner_type", (_tenant(),))
    by_type = {r["owner_type"]: r for r in rows}
    accounted = sum(int(r["total"]) for r in rows)
    return {
        "totalSupply": str(TOTAL_SUPPLY),
        "accounted": str(accounted),
        "conserved": accounted in (0, TOTAL_SUPPLY),  # 0 before the bootstrap is projected
        "byOwnerType": {k: {"balance": str(int(v["total"])), "accounts": v["accounts"]}
                        for k, v in sorted(by_type.items())},
    }
