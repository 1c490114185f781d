"""The on-chain user id format of spec rules.md §7.4."""

import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.identity.fabric_id import age_on, dob_block, fabric_user_id

FORMAT = re.compile(r"^[A-Z]{2} [0-9A-F]{3} [A-Z]{3}[0-9]{3} [0-9A-F][A-Z]{4} [0-9]{4}$")


def test_dob_block_counts_days_from_1900_in_base26_letters_and_digits() -> None:
    epoch = date(1900, 1, 1)
    assert dob_block(epoch) == "AAA000"
    assert dob_block(epoch + timedelta(days=999)) == "AAA999"
    assert dob_block(epoch + timedelta(days=1000)) == "AAB000"  # thousands roll into the letters
    assert dob_block(epoch + timedelta(days=26_123)) == "ABA123"  # 26 thousands = "BA"
    assert dob_block(epoch, female=True) == "ATG000"  # 500,000 -> 500 = 19*26 + 6
    assert dob_block(epoch, organisation=True) == "BMM000"  # 1,000,000 -> 1000 = 1*676 + 12*26 + 12


def test_id_is_deterministic_per_profile_and_well_formed() -> None:
    a = fabric_user_id(country="ng", dob=date(1990, 5, 17), profile_id="p1")
    assert a == fabric_user_id(country="NG", dob=date(1990, 5, 17), profile_id="p1")
    assert a != fabric_user_id(country="NG", dob=date(1990, 5, 17), profile_id="p2")
    assert a != fabric_user_id(country="NG", dob=date(1990, 5, 17), profile_id="p1", salt=1)
    assert FORMAT.match(a), a
    assert a.startswith("NG ")


@settings(max_examples=200, deadline=None)
@given(
    dob=st.dates(min_value=date(1900, 1, 1), max_value=date(4000, 1, 1)),
    female=st.booleans(),
    pid=st.uuids(),
)
def test_every_valid_input_gives_a_well_formed_id(dob: date, female: bool, pid: object) -> None:
    assert FORMAT.match(fabric_user_id(country="KE", dob=dob, profile_id=str(pid), female=female))


def test_out_of_range_dates_are_refused() -> None:
    with pytest.raises(ValueError):
        dob_block(date(1899, 12, 31))


def test_age_counts_completed_years() -> None:
    assert age_on(date(2000, 6, 15), date(2026, 6, 14)) == 25
    assert age_on(date(2000, 6, 15), date(2026, 6, 15)) == 26
