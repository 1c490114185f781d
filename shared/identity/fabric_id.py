"""The on-chain user id (spec rules.md §7.4): `CC KKK DDDNNN TLLLL NNNN`.

- CC: the nationality, upper case;
- DDDNNN: the date-of-birth block: days since 1900-01-01 (+500,000 for a female individual,
  +1,000,000 for an organisation), written as floor(offset/1000) in 3 base-26 letters (A = 0) and
  offset mod 1000 in 3 digits;
- KKK: the first 3 hex characters (upper case) of SHA-1 of the DOB block;
- T: the account type hex digit (0 = individual), followed by LLLL, 4 letters;
- NNNN: 4 digits.

The original draws LLLL and NNNN at random. Here they are derived from a hash of the profile id
(and a salt that only changes on a collision), so the same profile always gets the same id: an
approval that is retried or replayed can never register the user twice under two ids.
"""

from __future__ import annotations

import hashlib
from datetime import date

EPOCH = date(1900, 1, 1)
LATEST = date(4000, 1, 1)
ACCOUNT_TYPES = {"individual": "0", "for_profit": "1", "not_for_profit": "2", "treasury": "6"}
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _base26(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 26)
        out.append(_LETTERS[r])
    if n:
        raise ValueError("value does not fit")
    return "".join(reversed(out))


def dob_block(dob: date, *, female: bool = False, organisation: bool = False) -> str:
    if not EPOCH <= dob <= LATEST:
        raise ValueError("date of birth must be between 1900-01-01 and 4000-01-01")
    offset = (dob - EPOCH).days
    if organisation:
        offset += 1_000_000
    elif female:
        offset += 500_000
    return f"{_base26(offset // 1000, 3)}{offset % 1000:03d}"


def fabric_user_id(
    *, country: str, dob: date, profile_id: str, female: bool = False, salt: int = 0,
    account_type: str = "individual",
) -> str:
    cc = country.upper()
    if len(cc) != 2 or not cc.isalpha():
        raise ValueError("country must be two letters")
    block = dob_block(dob, female=female, organisation=account_type != "individual")
    checksum = hashlib.sha1(block.encode()).hexdigest()[:3].upper()
    seed = hashlib.sha256(f"{profile_id}:{salt}".encode()).digest()
    letters = "".join(_LETTERS[b % 26] for b in seed[:4])
    digits = "".join(str(b % 10) for b in seed[4:8])
    return f"{cc} {checksum} {block} {ACCOUNT_TYPES[account_type]}{letters} {digits}"


def age_on(dob: date, today: date) -> int:
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
