"""TaxAndFeeContract: the velocity tax (rules.md §2) and fee previews (rules.md §1.2).

ApplyVelocityTax keeps the two-argument call the backend sends (`accountID, taxRateBps`), but the
chain computes the rate from the band table; a non-empty `taxRateBps` must equal it (a stale or
caller-chosen rate is refused: gaps.md B5). The tax goes to the account's national treasury
(velocityTaxTreasuryPct, default 50 %) and the rest to SYSTEM_CHARITABLE_POOL for redistribution;
the timer then restarts on the day of application.
"""

from __future__ import annotations

from typing import Any

from shared.chain.embedded import ledger_ops as ops
from shared.chain.embedded.framework import (
    ADMINS,
    ANYONE,
    Stub,
    arg_amount,
    arg_text,
    arg_uint,
    chaincode,
    reject,
)
from shared.domain import fees, velocity_tax
from shared.domain.accounts import CHARITABLE_POOL, AccountType, treasury_id
from shared.domain.errors import INVALID_ARGUMENT, NOT_ELIGIBLE, NOT_FOUND

CONTRACT = "TaxAndFeeContract"
REDISTRIBUTION_ACCOUNT = CHARITABLE_POOL


def _preview(stub: Stub, account_id: str) -> dict[str, Any]:
    account = ops.require_account(stub, account_id)
    p = ops.params(stub)
    today = stub.tx_timestamp.date()
    status = velocity_tax.eligibility(
        account_id=account_id, exempt=bool(account.get("velocityTaxExempt")),
        timer_start=account.get("velocityTaxTimerStart"), balance=account["balance"],
        today=today, params=p,
    )
    quote = velocity_tax.compute(account["balance"], p)
    return {
        "accountID": account_id,
        "accountType": account["type"],
        "balance": account["balance"],
        "eligible": status.eligible,
        "reason": status.reason,
        "taxRateBps": quote.rate_bps if status.eligible else 0,
        "taxAmount": quote.tax if status.eligible else 0,
        "govtShare": quote.govt_share if status.eligible else 0,
        "redistributionShare": quote.redistribution_share if status.eligible else 0,
        "bandRateBps": quote.rate_bps,
        "timerStartDate": account.get("velocityTaxTimerStart"),
        "daysSinceTimerStart": status.days_since_timer_start,
        "requiredDays": status.required_days,
        "daysRemaining": status.days_remaining,
        "minimumBalance": p.num("velocityTaxMinimumBalance"),
        "treasuryID": treasury_id(account["country"]) if account.get("country") else None,
        "redistributionAccountID": REDISTRIBUTION_ACCOUNT,
    }


@chaincode(CONTRACT, "CalculateVelocityTax", roles=ANYONE, query=True)
def calculate_velocity_tax(stub: Stub, account_id: str) -> dict[str, Any]:
    preview = _preview(stub, arg_text(account_id, "accountID", max_len=128))
    # Amounts leave the chain as decimal strings, like GetBalance.
    for key in ("balance", "taxAmount", "govtShare", "redistributionShare", "minimumBalance"):
        preview[key] = str(preview[key])
    return preview


@chaincode(CONTRACT, "ApplyVelocityTax", roles=ADMINS)
def apply_velocity_tax(stub: Stub, account_id: str, tax_rate_bps: str = "") -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    preview = _preview(stub, arg_text(account_id, "accountID", max_len=128))
    if not preview["eligible"]:
        reject(NOT_ELIGIBLE, f"{preview['accountID']} is not subject to velocity tax now: "
                             f"{preview['reason']}")
    if tax_rate_bps.strip() and arg_uint(tax_rate_bps, "taxRateBps") != preview["taxRateBps"]:
        reject(INVALID_ARGUMENT, f"taxRateBps must be the band rate {preview['taxRateBps']}")
    treasury = preview["treasuryID"]
    if treasury is None or ops.get_account(stub, treasury) is None:
        reject(NOT_FOUND, f"no national treasury for {preview['accountID']}")
    source = preview["accountID"]
    if preview["govtShare"]:
        ops.transfer(stub, source, treasury, preview["govtShare"], kind="VELOCITY_TAX",
                     remark="Velocity tax: treasury share")
    if preview["redistributionShare"]:
        ops.transfer(stub, source, REDISTRIBUTION_ACCOUNT, preview["redistributionShare"],
                     kind="VELOCITY_TAX", remark="Velocity tax: redistribution share")
    account = ops.require_account(stub, source)
    today = stub.tx_timestamp.date()
    # The timer restarts at application (rules.md §2.2), if the balance still qualifies.
    restart = velocity_tax.next_timer(None, account["balance"], today, ops.params(stub))
    account["velocityTaxTimerStart"] = restart
    account["velocityTaxLastCheck"] = today.isoformat()
    ops.save_account(stub, account)
    account_type = preview["accountType"]
    payload = {
        "accountID": source,
        "accountType": account_type,
        "taxAmount": preview["taxAmount"],
        "taxRateBps": preview["taxRateBps"],
        "govtShare": preview["govtShare"],
        "redistributionShare": preview["redistributionShare"],
        "balance": preview["balance"],
        "timerStart": restart or today.isoformat(),
        "timerActive": restart is not None,
        "treasuryID": treasury,
        "redistributionAccountID": REDISTRIBUTION_ACCOUNT,
    }
    stub.set_event("VelocityTaxApplied", payload)
    return payload


@chaincode(CONTRACT, "CalculateTransferFee", roles=ANYONE, query=True)
def calculate_transfer_fee(
    stub: Stub, from_id: str, to_id: str, amount: str, tx_type_hint: str = ""
) -> dict[str, Any]:
    """What TransferWithFees would charge now (the same `fees.quote`)."""
    value = arg_amount(amount)
    sender = ops.require_account(stub, arg_text(from_id, "fromID", max_len=128))
    receiver = ops.require_account(stub, arg_text(to_id, "toID", max_len=128))
    quote = fees.quote(
        value, from_id=sender["accountID"], to_id=receiver["accountID"],
        from_type=AccountType(sender["type"]), to_type=AccountType(receiver["type"]),
        from_country=sender.get("country"), to_country=receiver.get("country"),
        params=ops.params(stub), type_hint=tx_type_hint,
    )
    return {
        "amount": str(value), "transactionType": quote.tx_type.value, "scope": quote.scope.value,
        "feeBps": quote.fee_bps, "totalFee": str(quote.total_fee),
        "senderFee": str(quote.sender_fee), "receiverFee": str(quote.receiver_fee),
        "netReceived": str(quote.net_received), "senderDebit": str(quote.sender_debit),
        "feeExempt": quote.exempt,
    }
