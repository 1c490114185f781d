"""Fee preview and velocity tax.

The preview runs `shared.domain.fees.quote`, the function the chain's TransferWithFees runs, with
the chain's current parameters; eligibility runs `shared.domain.velocity_tax.eligibility` on the
projected balance and timer. Applying the tax is an admin command whose rate the chain derives
from the balance band: no caller ever supplies a rate (gaps B5).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.api import OWNER, STAFF, STAKEHOLDER
from shared.auth import Principal
from shared.config import get_settings
from shared.domain import fees, money, velocity_tax
from shared.domain.accounts import AccountType
from shared.errors import Conflict, NotFound
from shared.organization import common
from shared.outbox import Command, Enqueued, enqueue
from shared.readmodels import accounts
from shared.readmodels import organizations as orgs
from shared.tax.schemas import FeeCalculationIn
from shared.tokenomics import parties
from shared.tokenomics.service import quote_between
from shared.unit_of_work import command_transaction

# A representative pair of parties per transaction type, for previews without real accounts.
_TYPES = {
    "P2P": (AccountType.INDIVIDUAL, AccountType.INDIVIDUAL),
    "MERCHANT": (AccountType.INDIVIDUAL, AccountType.BUSINESS),
    "GOVERNMENT": (AccountType.INDIVIDUAL, AccountType.GOVERNMENT),
    "B2B": (AccountType.BUSINESS, AccountType.BUSINESS),
}


def calculate(body: FeeCalculationIn) -> fees.FeeQuote:
    if body.from_account_id and body.to_account_id:
        return quote_between(parties.resolve(body.from_account_id),
                             parties.resolve(body.to_account_id), body.amount)
    from_type, to_type = _TYPES[body.transaction_type or "P2P"]
    to_country = "AA" if (body.scope or "LOCAL") == "LOCAL" else "BB"
    sender = parties.Party("preview-sender", from_type, "AA")
    recipient = parties.Party("preview-recipient", to_type, to_country)
    return quote_between(sender, recipient, body.amount)


def viewer_audiences(caller: Principal, account_id: str) -> set[str]:
    """Who `caller` is to the account: its owner, a stakeholder of its organization, or staff.
    Anyone else is told it does not exist (404): outsiders learn nothing of others' money."""
    if caller.is_admin:
        return {STAFF}
    chain_id = common.chain_id_of(caller)
    if chain_id is not None and chain_id == account_id:
        return {OWNER}
    org = orgs.get_organization(account_id, tenant=common.tenant())
    if chain_id is not None and org is not None and chain_id in org["stakeholders"]:
        return {STAKEHOLDER}
    raise NotFound("no such account", code="ACCOUNT_NOT_FOUND")


def eligibility(account_id: str, today: date | None = None) -> dict[str, Any]:
    params = parties.params()
    tenant = get_settings().tenant
    account = accounts.get_account(account_id, tenant=tenant)
    if account is None:
        return {"eligible": False, "reason": "Account does not exist", "details": {}}
    balance = int(account["balance"])
    timer = account["velocityTaxTimerStart"]
    result = velocity_tax.eligibility(
        account_id=account_id, exempt=False, timer_start=timer, balance=balance,
        today=today or date.today(), params=params,
    )
    minimum = params.num("velocityTaxMinimumBalance")
    quote = velocity_tax.compute(balance, params)
    return {
        "eligible": result.eligible,
        "reason": result.reason,
        "details": {
            "accountType": account["ownerType"],
            "timerStartDate": timer,
            "daysSinceTimerStart": result.days_since_timer_start,
            "requiredDays": result.required_days,
            "daysRemaining": result.days_remaining,
            "currentBalance": str(balance),
            "minimumBalance": str(minimum),
            "balanceInCoins": money.in_coins(balance),
            "minimumInCoins": money.in_coins(minimum),
            "velocityTaxPeriod": result.required_days,
            "rateBps": quote.rate_bps,
            "estimatedTax": str(quote.tax),
        },
    }


def apply(admin: Principal, account_id: str, *, idempotency_key: str) -> Enqueued:
    check = eligibility(account_id)
    if not check["eligible"]:
        raise Conflict(f"not eligible for velocity tax: {check['reason']}", code="NOT_ELIGIBLE")
    with command_transaction("tax") as conn:
        return enqueue(conn, Command(type="APPLY_VELOCITY_TAX", payload={"accountId": account_id},
                                     request_id=idempotency_key, principal_id=admin.sub,
                                     service="tax"))
