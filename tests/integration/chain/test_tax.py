"""TaxAndFeeContract: the velocity tax with its timer, and the fee preview."""

from __future__ import annotations

import pytest

from shared.chain.port import BusinessRejection
from shared.domain.accounts import CHARITABLE_POOL, TOTAL_SUPPLY, coins
from tests.integration.chain.support import ADMIN, PARTNER, Chain

X = "TaxAndFeeContract"


def test_velocity_tax_after_the_holding_period(booted: Chain) -> None:
    user = booted.funded_user()  # 500 coins: the timer starts today
    preview = booted.query(X, "CalculateVelocityTax", user)
    assert preview["eligible"] is False and preview["daysRemaining"] == 360
    assert preview["timerStartDate"] is not None
    with pytest.raises(BusinessRejection) as info:
        booted.call(X, "ApplyVelocityTax", user, "", identity=ADMIN)
    assert info.value.code == "NOT_ELIGIBLE"

    booted.clock.advance(360)
    preview = booted.query(X, "CalculateVelocityTax", user)
    assert preview["eligible"] is True and preview["taxRateBps"] == 250
    assert preview["taxAmount"] == str(coins(500) * 250 // 10_000)
    with pytest.raises(BusinessRejection) as info:  # a caller-chosen rate is refused (gaps B5)
        booted.call(X, "ApplyVelocityTax", user, "1000", identity=ADMIN)
    assert info.value.code == "INVALID_ARGUMENT"
    with pytest.raises(BusinessRejection) as info:
        booted.call(X, "ApplyVelocityTax", user, "", identity=PARTNER)
    assert info.value.code == "NOT_AUTHORIZED"
    charity = booted.balance(CHARITABLE_POOL)
    treasury = booted.balance("treasury_NG")
    committed = booted.call(X, "ApplyVelocityTax", user, "250", identity=ADMIN)
    assert committed.event is not None and committed.event.name == "VelocityTaxApplied"
    tax = coins(500) * 250 // 10_000
    payload = committed.event.payload
    assert payload["taxAmount"] == tax and payload["govtShare"] + payload["redistributionShare"] == tax
    assert payload["govtShare"] == tax // 2 and payload["accountType"] == "INDIVIDUAL"
    assert payload["balance"] == coins(500) and payload["treasuryID"] == "treasury_NG"
    assert payload["timerStart"] == booted.clock().date().isoformat()
    assert booted.balance(user) == coins(500) - tax
    assert booted.balance("treasury_NG") == treasury + payload["govtShare"]
    assert booted.balance(CHARITABLE_POOL) == charity + payload["redistributionShare"]
    assert booted.total_supply() == TOTAL_SUPPLY
    # The timer restarted: not due again until another period has passed.
    with pytest.raises(BusinessRejection) as info:
        booted.call(X, "ApplyVelocityTax", user, "", identity=ADMIN)
    assert info.value.code == "NOT_ELIGIBLE"


def test_timer_resets_below_the_minimum(booted: Chain) -> None:
    user, other = booted.funded_user(), booted.funded_user()
    booted.clock.advance(200)
    booted.call("TokenomicsContract", "TransferWithFees", user, other, coins(450), "", "", "",
                identity=ADMIN)
    assert booted.query(X, "CalculateVelocityTax", user)["timerStartDate"] is None
    booted.clock.advance(200)
    assert booted.query(X, "CalculateVelocityTax", user)["reason"] == "Balance below threshold"
    assert booted.query(X, "CalculateVelocityTax", other)["eligible"] is True


def test_system_accounts_are_exempt(booted: Chain) -> None:
    booted.clock.advance(400)
    preview = booted.query(X, "CalculateVelocityTax", "SYSTEM_GX_POOL")
    assert preview["eligible"] is False and "exempt" in preview["reason"]
    with pytest.raises(BusinessRejection) as info:
        booted.call(X, "ApplyVelocityTax", "treasury_NG", "", identity=ADMIN)
    assert info.value.code == "NOT_ELIGIBLE"


def test_fee_preview_matches_what_the_transfer_charges(booted: Chain) -> None:
    alice, bob = booted.funded_user("NG"), booted.funded_user("US")
    preview = booted.query(X, "CalculateTransferFee", alice, bob, coins(120))
    paid = booted.call("TokenomicsContract", "TransferWithFees", alice, bob, coins(120), "", "", "",
                       identity=ADMIN).result
    assert preview["totalFee"] == str(paid["totalFee"]) and preview["feeBps"] == paid["feeBps"]
    assert preview["senderFee"] == str(paid["senderFee"])
    assert preview["netReceived"] == str(paid["netReceived"])
    for function, args, code in (("CalculateTransferFee", (alice, "nobody", 5), "NOT_FOUND"),
                                 ("CalculateTransferFee", (alice, bob, 0), "INVALID_AMOUNT"),
                                 ("CalculateVelocityTax", ("nobody",), "NOT_FOUND")):
        with pytest.raises(BusinessRejection) as info:
            booted.query(X, function, *args)
        assert info.value.code == code, function
