"""The parameter catalogue (pure, importable without I/O)."""

from __future__ import annotations

import pytest

from shared.domain import parameters
from shared.domain.errors import RuleViolation


def test_defaults_are_within_their_bounds_and_consistent() -> None:
    for p in parameters.CATALOGUE.values():
        assert p.parse(p.default) == int(p.default), p.name
        assert p.description
    parameters.check_consistent(parameters.defaults())


def test_fee_rates_are_capped_at_ten_percent() -> None:
    fee_params = [p for p in parameters.CATALOGUE.values()
                  if p.kind is parameters.Kind.BPS and p.name.startswith(("fee", "transaction"))]
    assert len(fee_params) == 10
    assert all(p.maximum <= parameters.MAX_FEE_BPS for p in fee_params)


def test_validate() -> None:
    assert parameters.validate("votingPeriodDays", " 7 ") == "7"
    assert parameters.validate("FEE_SENDER_PCT", "100") == "100"
    for name, value in (("FEE_SENDER_PCT", "101"), ("transactionFeeBps", "1001"),
                        ("votingPeriodDays", "0"), ("votingPeriodDays", "1.5"),
                        ("votingPeriodDays", "-3"), ("votingPeriodDays", "٣"),
                        ("loanInterestRateBps", "1")):
        with pytest.raises(RuleViolation) as info:
            parameters.validate(name, value)
        assert info.value.code == "INVALID_ARGUMENT", (name, value)
    with pytest.raises(RuleViolation) as info:
        parameters.validate("totalSupplyCap", "1")
    assert info.value.code == "NOT_FOUND"


def test_cross_parameter_rules() -> None:
    with pytest.raises(RuleViolation):
        parameters.check_consistent({"genesisMinAge": "80"})
    parameters.check_consistent({"genesisMinAge": "18", "genesisMaxAge": "65"})


def test_params_snapshot_falls_back_to_defaults() -> None:
    p = parameters.Params({"votingPeriodDays": "7"})
    assert p.num("votingPeriodDays") == 7 and p.num("velocityTaxPeriodDays") == 360
    assert p.as_dict()["votingPeriodDays"] == "7"
