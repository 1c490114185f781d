"""The fee schedule of rules.md §1.2 (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import fees
from shared.domain.accounts import AccountType as A
from shared.domain.accounts import coins
from shared.domain.errors import RuleViolation
from shared.domain.fees import Scope, TxType
from shared.domain.parameters import Params

P = Params()


def q(amount: int, ft: A = A.INDIVIDUAL, tt: A = A.INDIVIDUAL, fc: str = "NG", tc: str = "NG",
      params: Params = P, hint: str = "", frm: str = "a", to: str = "b") -> fees.FeeQuote:
    return fees.quote(amount, from_id=frm, to_id=to, from_type=ft, to_type=tt, from_country=fc,
                      to_country=tc, params=params, type_hint=hint)


@pytest.mark.parametrize(
    ("amount", "ft", "tt", "fc", "tc", "kind", "scope", "bps"),
    [
        (coins(3) - 1, A.INDIVIDUAL, A.INDIVIDUAL, "NG", "NG", TxType.P2P, Scope.LOCAL, 0),
        (coins(3), A.INDIVIDUAL, A.INDIVIDUAL, "NG", "NG", TxType.P2P, Scope.LOCAL, 5),
        (coins(100), A.INDIVIDUAL, A.INDIVIDUAL, "NG", "NG", TxType.P2P, Scope.LOCAL, 5),
        (coins(100) + 1, A.INDIVIDUAL, A.INDIVIDUAL, "NG", "NG", TxType.P2P, Scope.LOCAL, 10),
        (coins(1), A.INDIVIDUAL, A.INDIVIDUAL, "NG", "US", TxType.P2P, Scope.CROSS_BORDER, 15),
        (coins(100), A.INDIVIDUAL, A.INDIVIDUAL, "NG", "US", TxType.P2P, Scope.CROSS_BORDER, 15),
        (coins(101), A.INDIVIDUAL, A.INDIVIDUAL, "NG", "US", TxType.P2P, Scope.CROSS_BORDER, 25),
        (coins(1), A.INDIVIDUAL, A.BUSINESS, "NG", "NG", TxType.MERCHANT, Scope.LOCAL, 15),
        (coins(1), A.INDIVIDUAL, A.NGO, "NG", "US", TxType.MERCHANT, Scope.CROSS_BORDER, 30),
        (coins(1), A.BUSINESS, A.INDIVIDUAL, "NG", "NG", TxType.MERCHANT, Scope.LOCAL, 15),
        (coins(1), A.INDIVIDUAL, A.GOVERNMENT, "NG", "NG", TxType.GOVERNMENT, Scope.LOCAL, 10),
        (coins(1), A.GOVERNMENT, A.BUSINESS, "NG", "US", TxType.GOVERNMENT, Scope.CROSS_BORDER, 20),
        (coins(1), A.BUSINESS, A.NGO, "NG", "NG", TxType.B2B, Scope.LOCAL, 20),
        (coins(1), A.BUSINESS, A.BUSINESS, "NG", "US", TxType.B2B, Scope.CROSS_BORDER, 40),
    ],
)
def test_schedule(amount: int, ft: A, tt: A, fc: str, tc: str, kind: TxType, scope: Scope,
                  bps: int) -> None:
    quote = q(amount, ft, tt, fc, tc)
    assert (quote.tx_type, quote.scope, quote.fee_bps) == (kind, scope, bps)
    assert quote.total_fee == amount * bps // 10_000


def test_p2p_split_and_rounding() -> None:
    quote = q(coins(200) + 3)  # total 200,000 (floor), odd splits go to the receiver
    assert quote.total_fee == (coins(200) + 3) * 10 // 10_000
    assert quote.sender_fee == quote.total_fee // 2
    assert quote.receiver_fee == quote.total_fee - quote.sender_fee
    assert quote.net_received == quote.amount - quote.receiver_fee
    assert quote.sender_debit == quote.amount + quote.sender_fee
    odd = q(coins(101) + 10_000)  # total fee 101,010 -> 50,505 / 50,505
    assert odd.sender_fee + odd.receiver_fee == odd.total_fee


def test_split_parameter_and_non_p2p_sender_pays_all() -> None:
    all_sender = q(coins(200), params=Params({"FEE_SENDER_PCT": "100"}))
    assert (all_sender.sender_fee, all_sender.receiver_fee) == (200_000, 0)
    merchant = q(coins(200), tt=A.BUSINESS)
    assert merchant.receiver_fee == 0 and merchant.sender_fee == merchant.total_fee


def test_exemptions() -> None:
    for frm, to in (("SYSTEM_LOAN_POOL", "b"), ("a", "treasury_NG"), ("SYSTEM_MINTER", "b")):
        quote = q(coins(1000), frm=frm, to=to)
        assert quote.exempt and quote.total_fee == 0


def test_missing_country_is_cross_border() -> None:
    assert fees.detect_scope(None, "NG") is Scope.CROSS_BORDER
    assert fees.detect_scope("ng", "NG") is Scope.LOCAL


def test_hint_must_confirm_the_detected_type() -> None:
    assert q(coins(5), hint="p2p").tx_type is TxType.P2P
    with pytest.raises(RuleViolation):
        q(coins(5), hint="MERCHANT")
    with pytest.raises(RuleViolation):
        q(coins(5), hint="NOPE")


def test_rate_capped_at_ten_percent_and_amount_positive() -> None:
    # Parameters are bounded by the catalogue; a stored value beyond it is still capped here.
    quote = q(coins(200), params=Params({"transactionFeeBps": "5000"}))
    assert quote.fee_bps == 1000
    with pytest.raises(RuleViolation):
        q(0)


@settings(max_examples=200)
@given(
    amount=st.integers(min_value=1, max_value=10**18),
    ft=st.sampled_from([A.INDIVIDUAL, A.BUSINESS, A.NGO, A.GOVERNMENT]),
    tt=st.sampled_from([A.INDIVIDUAL, A.BUSINESS, A.NGO, A.GOVERNMENT, A.TREASURY]),
    same=st.booleans(),
    pct=st.integers(min_value=0, max_value=100),
)
def test_fee_invariants(amount: int, ft: A, tt: A, same: bool, pct: int) -> None:
    quote = q(amount, ft, tt, "NG", "NG" if same else "US", params=Params({"FEE_SENDER_PCT": str(pct)}))
    assert quote.sender_fee + quote.receiver_fee == quote.total_fee
    assert 0 <= quote.total_fee <= amount // 10
    assert 0 <= quote.net_received <= amount
