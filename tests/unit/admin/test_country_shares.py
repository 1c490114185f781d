"""The seeded country shares go on chain summing to at most 1, each barely moved."""

import csv
from decimal import Decimal
from pathlib import Path

from shared.admin.service import _within_world
from shared.chain.catalogue.admin import InitializeCountryData

CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "countries.csv"


def test_published_shares_are_scaled_into_the_world() -> None:
    shares = {r["code"]: Decimal(r["allocation_share"]) for r in csv.DictReader(CSV.open())}
    assert sum(shares.values()) > 1  # the published list, rounded to 8 decimals
    scaled = _within_world(shares)
    assert sum(scaled.values()) <= 1
    assert all(abs(scaled[c] - v) <= v * Decimal("4e-8") + Decimal("1e-12")
               for c, v in shares.items())
    payload = {"countriesData": [{"code": c, "percentage": format(v, "f")}
                                 for c, v in scaled.items()]}
    InitializeCountryData.model_validate(payload)  # what the outbox validates at insert


def test_shares_that_fit_are_untouched() -> None:
    shares = {"AA": Decimal("0.5"), "BB": Decimal("0.25")}
    assert _within_world(shares) == shares


def test_exponent_forms_are_refused_before_the_outbox() -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        InitializeCountryData.model_validate(
            {"countriesData": [{"code": "AA", "percentage": "4.9E-7"}]})
