"""The transfer fee schedule (rules.md §1.2): type, scope, band, split and exemptions.

The chain's TransferWithFees and the fee-preview endpoint both call `quote`, so a preview can
never disagree with what the chain charges. Every number comes from the parameter catalogue.

Decisions where the spec leaves room (each stated in rules.md §1.2 as an assumption):
- Bands: "< 3", "3 <= x <= 100" and "> 100" coins; the free band is P2P LOCAL only (the schedule's
  only 0-rate row; cross-border P2P up to 100 coins is 15 bps).
- Rounding: totalFee = floor(amount * bps / 10000); senderFee = floor(totalFee * FEE_SENDER_PCT /
  100); receiverFee = totalFee - senderFee. Non-P2P types: the sender pays everything.
- Type detection from the two account types: GOVERNMENT when either side is a government body or a
  treasury; B2B when both are organisations; MERCHANT when an individual pays an organisation, and
  also when an organisation pays an individual (a commercial payment, sender pays, so it is never
  cheaper than P2P for a business); otherwise P2P.
- A caller's type hint may only confirm the detected type: accepting a different one would let a
  caller choose a cheaper row, so a contradicting hint is refused.
- A fee is never more than 10 % of the amount (MAX_FEE_BPS), whatever the parameters say.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shared.domain.accounts import FEE_COLLECTOR, AccountType, is_fee_exempt
from shared.domain.errors import INVALID_ARGUMENT, InvalidAmount, RuleViolation
from shared.domain.parameters import MAX_FEE_BPS, Params

_ORGS = {AccountType.BUSINESS, AccountType.NGO}
_GOVERNMENT = {AccountType.GOVERNMENT, AccountType.TREASURY}


class TxType(str, Enum):
    P2P = "P2P"
    MERCHANT = "MERCHANT"
    GOVERNMENT = "GOVERNMENT"
    B2B = "B2B"


class Scope(str, Enum):
    LOCAL = "LOCAL"
    CROSS_BORDER = "CROSS_BORDER"


@dataclass(frozen=True, slots=True)
class FeeQuote:
    amount: int
    tx_type: TxType
    scope: Scope
    fee_bps: int
    total_fee: int
    sender_fee: int
    receiver_fee: int
    exempt: bool
    fee_collector: str = FEE_COLLECTOR

    @property
    def sender_debit(self) -> int:
        """What leaves the sender's balance."""
        return self.amount + self.sender_fee

    @property
    def net_received(self) -> int:
        """What reaches the receiver."""
        return self.amount - self.receiver_fee


def detect_type(from_type: AccountType, to_type: AccountType) -> TxType:
    if from_type in _GOVERNMENT or to_type in _GOVERNMENT:
        return TxType.GOVERNMENT
    if from_type in _ORGS and to_type in _ORGS:
        return TxType.B2B
    if from_type in _ORGS or to_type in _ORGS:
        return TxType.MERCHANT
    return TxType.P2P


def detect_scope(from_country: str | None, to_country: str | None) -> Scope:
    if from_country and to_country and from_country.upper() == to_country.upper():
        return Scope.LOCAL
    return Scope.CROSS_BORDER


def resolve_type(detected: TxType, hint: str) -> TxType:
    """The detected type; a non-empty hint must name the same type (see the module docstring)."""
    if not hint:
        return detected
    try:
        hinted = TxType(hint.strip().upper())
    except ValueError:
        raise RuleViolation(
            f"txTypeHint must be one of {', '.join(t.value for t in TxType)}", code=INVALID_ARGUMENT
        ) from None
    if hinted is not detected:
        raise RuleViolation(
            f"txTypeHint {hinted.value} contradicts the accounts' type {detected.value}",
            code=INVALID_ARGUMENT,
        )
    return hinted


def rate_bps(amount: int, tx_type: TxType, scope: Scope, params: Params) -> int:
    """The schedule's rate for this transfer, before the 10 % cap."""
    local = scope is Scope.LOCAL
    if tx_type is TxType.P2P:
        low_band = amount <= params.num("p2pBandUpperQirat")
        if local:
            if amount < params.num("p2pFreeBelowQirat"):
                return 0
            return params.num("feeP2PLocalLowBps" if low_band else "transactionFeeBps")
        return params.num("feeP2PCrossBorderLowBps" if low_band else "feeP2PCrossBorderHighBps")
    name = {
        TxType.MERCHANT: ("feeMerchantLocalBps", "feeMerchantCrossBorderBps"),
        TxType.GOVERNMENT: ("feeGovernmentLocalBps", "feeGovernmentCrossBorderBps"),
        TxType.B2B: ("feeB2BLocalBps", "feeB2BCrossBorderBps"),
    }[tx_type][0 if local else 1]
    return params.num(name)


def quote(
    amount: int,
    *,
    from_id: str,
    to_id: str,
    from_type: AccountType,
    to_type: AccountType,
    from_country: str | None,
    to_country: str | None,
    params: Params,
    type_hint: str = "",
) -> FeeQuote:
    """The fees of moving `amount` Qirat from one account to another."""
    if amount <= 0:
        raise InvalidAmount("amount must be a positive integer of Qirat")
    tx_type = resolve_type(detect_type(from_type, to_type), type_hint)
    scope = detect_scope(from_country, to_country)
    if is_fee_exempt(from_id) or is_fee_exempt(to_id):
        return FeeQuote(amount, tx_type, scope, 0, 0, 0, 0, exempt=True)
    bps = min(rate_bps(amount, tx_type, scope, params), MAX_FEE_BPS)
    total = amount * bps // 10_000
    sender_pct = params.num("FEE_SENDER_PCT") if tx_type is TxType.P2P else 100
    sender = total * sender_pct // 100
    return FeeQuote(amount, tx_type, scope, bps, total, sender, total - sender, exempt=False)
