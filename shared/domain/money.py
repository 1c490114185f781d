"""Money is an integer number of Qirat: the one constant, the one maximum, the one parser.

Every layer that reads an amount (the API models, the chain command catalogue, the embedded
ledger's arguments, the loan rules) parses it here, so an amount accepted at the door is one the
chain and the read models accept too, and nothing anywhere rounds money through a float.
"""

from __future__ import annotations

#: 1 GX = 1,000,000 Qirat (the chain's constant).
QIRAT_PER_COIN = 1_000_000

#: The largest amount anywhere: it fits PostgreSQL's bigint (the read models) and the chain's
#: uint64, and the whole supply (1.25 trillion GX = 1.25e18 Qirat) is below it.
MAX_QIRAT = 2**63 - 1
_MAX_DIGITS = len(str(MAX_QIRAT))


class AmountError(ValueError):
    """Not an amount of Qirat; the message says how to write one."""


def parse(value: object, *, name: str = "amount", allow_zero: bool = False,
          strings_only: bool = False) -> int:
    """`value` as Qirat: a string of ASCII digits (or, unless `strings_only`, an int), between 1
    (0 with `allow_zero`) and `MAX_QIRAT`. A bool or a float is never money."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise AmountError(f"{name} must be a string of digits: a whole number of Qirat")
        # Refused before int(): Python's own limit on long digit strings would answer otherwise.
        if len(value.lstrip("0")) > _MAX_DIGITS:
            raise AmountError(f"{name} must be at most {MAX_QIRAT} Qirat")
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool) and not strings_only:
        number = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        raise AmountError(
            f"{name} must be a JSON string of digits in Qirat (1 GX = {QIRAT_PER_COIN:,} Qirat), "
            f'e.g. "{10 * QIRAT_PER_COIN}" for 10 GX; a JSON number is not accepted')
    else:
        raise AmountError(f"{name} must be a whole number of Qirat")
    if number > MAX_QIRAT or number < 0:
        raise AmountError(f"{name} must be between 0 and {MAX_QIRAT} Qirat")
    if number == 0 and not allow_zero:
        raise AmountError(f"{name} must be greater than zero")
    return number


def to_wire(amount: int) -> str:
    """How an amount travels in JSON: a string of digits."""
    return str(amount)


def in_coins(amount: int) -> str:
    """Qirat as GX with six decimals, exactly (no float)."""
    whole, fraction = divmod(amount, QIRAT_PER_COIN)
    return f"{whole}.{fraction:06d}"
