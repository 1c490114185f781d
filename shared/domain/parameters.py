"""The parameter catalogue: every system parameter the chain keeps, with its default and bounds.

One catalogue shared by the chain and the backend (overview/rules.md §13.2 "Required"): the chain's
names, values stored as strings (as on Fabric), defaults from the spec's resolutions. BootstrapSystem
writes these defaults to world state; `UpdateSystemParameter` (and so governance) accepts only a
catalogued name and a value within its bounds; the backend seeds its read-model parameter table from
`CATALOGUE` and then mirrors `SystemParameterUpdated` events. Pure data, importable with no I/O.

Where the sources conflicted, the comment at the parameter says which value the spec chose and why.
Fee rates are capped at 1000 bps (10 %) so no governance vote can set a confiscatory fee
(gaps.md A29 / the 2025-12-21 chain hardening).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from shared.domain.errors import INVALID_ARGUMENT, NOT_FOUND, RuleViolation
from shared.domain.money import QIRAT_PER_COIN

#: The highest fee rate any fee parameter may take: 10 % (gaps.md A29).
MAX_FEE_BPS = 1000


class Kind(str, Enum):
    INTEGER = "integer"  # a count
    BPS = "bps"  # basis points, 1/10,000
    PERCENT = "percent"  # 0..100
    QIRAT = "qirat"  # an amount in Qirat
    DAYS = "days"
    YEARS = "years"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str  # the chain's name (world state and SystemParameterUpdated.paramKey)
    default: str  # as stored on chain: a string
    kind: Kind
    minimum: int
    maximum: int
    description: str
    governable: bool = True  # may a governance proposal target it?

    def parse(self, value: str) -> int:
        """The value as an integer, or RuleViolation when it is not allowed."""
        text = value.strip() if isinstance(value, str) else ""
        if not text.isdigit() or not text.isascii():
            raise RuleViolation(
                f"{self.name} must be a non-negative integer ({self.kind.value}), got {value!r}",
                code=INVALID_ARGUMENT,
            )
        number = int(text)
        if not self.minimum <= number <= self.maximum:
            raise RuleViolation(
                f"{self.name} must be between {self.minimum} and {self.maximum}, got {number}",
                code=INVALID_ARGUMENT,
            )
        return number


def _fee(name: str, default: int, description: str) -> Parameter:
    return Parameter(name, str(default), Kind.BPS, 0, MAX_FEE_BPS, description)


_COIN = QIRAT_PER_COIN

_PARAMETERS: tuple[Parameter, ...] = (
    # --- transfer fees (rules.md §1.2; gaps D5: the chain's type/scope/band schedule is used, not
    # svc-tax's threshold + bps nor the seed's 10,000,000 Q / 50 bps, nor CONCEPTS' flat 0.1 %) ----
    Parameter("p2pFreeBelowQirat", str(3 * _COIN), Kind.QIRAT, 0, 1_000_000 * _COIN,
              "P2P LOCAL transfers below this amount are free (3 coins)."),
    Parameter("p2pBandUpperQirat", str(100 * _COIN), Kind.QIRAT, 1, 1_000_000_000 * _COIN,
              "Upper edge (inclusive) of the low P2P band (100 coins); above it the high rate."),
    _fee("feeP2PLocalLowBps", 5, "P2P, same country, 3..100 coins."),
    # The chain's governable `transactionFeeBps` (LECTURE-15, "10") is the base P2P LOCAL rate
    # above 100 coins; the seed's 50 and svc-tax's code default belong to the obsolete preview.
    _fee("transactionFeeBps", 10, "P2P, same country, above 100 coins (the base rate)."),
    _fee("feeP2PCrossBorderLowBps", 15, "P2P, different countries, up to 100 coins."),
    _fee("feeP2PCrossBorderHighBps", 25, "P2P, different countries, above 100 coins."),
    _fee("feeMerchantLocalBps", 15, "Individual -> business, same country; sender pays all."),
    _fee("feeMerchantCrossBorderBps", 30, "Individual -> business, different countries."),
    _fee("feeGovernmentLocalBps", 10, "Either side government/treasury, same country."),
    _fee("feeGovernmentCrossBorderBps", 20, "Either side government/treasury, cross-border."),
    _fee("feeB2BLocalBps", 20, "Business -> business, same country; sender pays all."),
    _fee("feeB2BCrossBorderBps", 40, "Business -> business, different countries."),
    # gaps D12: 50/50 in the reference period (and the TransferEvent schema) vs "sender pays all"
    # from 2025-12-10. rules.md §1.2 resolves it with this one split for P2P, default 50; set 100
    # to match the December chain. Other types always charge the sender 100 %.
    Parameter("FEE_SENDER_PCT", "50", Kind.PERCENT, 0, 100,
              "Sender's share (%) of a P2P fee; the receiver pays the rest."),
    # --- velocity tax (rules.md §2; gaps D4) ---------------------------------------------------
    # 100 coins in every source.
    Parameter("velocityTaxMinimumBalance", str(100 * _COIN), Kind.QIRAT, 0, 1_000_000_000 * _COIN,
              "Balances from this amount up are subject to the tax (100 coins)."),
    # 360 (LECTURE-11, seed velocityTaxCycleDays, CONCEPTS) vs 355 (LECTURE-13/15 under this very
    # name): rules.md §2 resolves to one parameter defaulting to 360 days.
    Parameter("velocityTaxPeriodDays", "360", Kind.DAYS, 1, 3650,
              "Days a balance must stay above the minimum before the tax is due."),
    # The rate comes from the progressive band table (LECTURE-13; not LECTURE-11's flat 3 % nor
    # the seed's 10 %); these two clamp it, with LECTURE-15's names and values.
    Parameter("velocityTaxMinBps", "250", Kind.BPS, 0, 10_000, "Lowest band rate applied."),
    Parameter("velocityTaxMaxBps", "600", Kind.BPS, 0, 10_000, "Highest band rate applied."),
    # 50 % treasury / 50 % redistribution (event schema, LECTURE-13) over CONCEPTS' 70/30.
    Parameter("velocityTaxTreasuryPct", "50", Kind.PERCENT, 0, 100,
              "Share (%) of the tax paid to the account's national treasury; the rest is "
              "redistributed through SYSTEM_CHARITABLE_POOL."),
    # --- genesis (rules.md §3.3: MinAgeForGenesis/MaxAgeForGenesis) -----------------------------
    Parameter("genesisMinAge", "13", Kind.YEARS, 0, 150, "Youngest age that receives genesis.",
              governable=False),
    Parameter("genesisMaxAge", "73", Kind.YEARS, 0, 150, "Oldest age that receives genesis.",
              governable=False),
    # --- loans (rules.md §4; gaps D6: the chain's 100..1,000,000 coins over the seed's) ----------
    Parameter("loanInterestRateBps", "0", Kind.BPS, 0, 0,
              "Interest on pool loans: always 0 (an interest-free pool by design)."),
    Parameter("loanMinAmount", str(100 * _COIN), Kind.QIRAT, 1, 1_000_000_000 * _COIN,
              "Smallest loan (100 coins)."),
    Parameter("loanMaxAmount", str(1_000_000 * _COIN), Kind.QIRAT, 1, 312_500_000_000 * _COIN,
              "Largest loan (1,000,000 coins)."),
    Parameter("loanMinTrustScore", "75", Kind.INTEGER, 0, 110,
              "Trust score needed to apply and, again, at approval."),
    Parameter("maxLoanDurationDays", "365", Kind.DAYS, 1, 3650, "Longest loan term."),
    # Later chain limit (2025-12-21), not in the reference state: configurable, rules.md §4.
    Parameter("maxConcurrentLoans", "5", Kind.INTEGER, 1, 1000,
              "Active or pending loans one borrower may hold at once."),
    # --- governance (rules.md §5; gaps D14) ----------------------------------------------------
    Parameter("votingPeriodDays", "14", Kind.DAYS, 1, 365, "Length of a proposal's vote."),
    # Not in the sources: a finer-grained override so a test network (or an emergency vote)
    # can run a short window. 0 keeps the reference behaviour (votingPeriodDays).
    Parameter("votingPeriodSeconds", "0", Kind.INTEGER, 0, 31_536_000,
              "If above 0, the length of a proposal's vote in seconds (overrides the days)."),
    # LECTURE-15 lists minProposalQuorum "1000", the later chain 100 votes; neither was enforced
    # in the reference period, and rules.md §5 defaults to that behaviour: no quorum.
    Parameter("minProposalQuorum", "0", Kind.INTEGER, 0, 5_000_000_000,
              "Votes a proposal needs before it can pass (0 = no quorum)."),
    # Simple majority (for > against) by default; the later chain's 60 % is a setting.
    Parameter("proposalApprovalPct", "50", Kind.PERCENT, 0, 99,
              "A proposal passes when its yes share is strictly above this percentage."),
    # --- organizations (rules.md §6 "Required: 2-20") -------------------------------------------
    Parameter("orgMinStakeholders", "2", Kind.INTEGER, 1, 100, "Fewest stakeholders."),
    Parameter("orgMaxStakeholders", "20", Kind.INTEGER, 1, 100, "Most stakeholders."),
)

#: name -> Parameter, in catalogue order.
CATALOGUE: Mapping[str, Parameter] = {p.name: p for p in _PARAMETERS}


def defaults() -> dict[str, str]:
    """Every parameter's default value (what BootstrapSystem writes)."""
    return {p.name: p.default for p in _PARAMETERS}


def get(name: str) -> Parameter:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise RuleViolation(f"unknown system parameter {name!r}", code=NOT_FOUND) from None


def validate(name: str, value: str) -> str:
    """The canonical string for a new value of `name`; RuleViolation if unknown or out of bounds."""
    return str(get(name).parse(value))


def check_consistent(values: Mapping[str, str]) -> None:
    """Cross-parameter rules a single bound cannot express."""
    def num(n: str) -> int:
        return int(values.get(n, CATALOGUE[n].default))

    pairs = (
        ("velocityTaxMinBps", "velocityTaxMaxBps"),
        ("genesisMinAge", "genesisMaxAge"),
        ("loanMinAmount", "loanMaxAmount"),
        ("orgMinStakeholders", "orgMaxStakeholders"),
        ("p2pFreeBelowQirat", "p2pBandUpperQirat"),
    )
    for low, high in pairs:
        if num(low) > num(high):
            raise RuleViolation(f"{low} may not exceed {high}", code=INVALID_ARGUMENT)


class Params:
    """Typed access to a parameter snapshot (the chain's stored strings, defaults filling gaps)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(values or {})

    def num(self, name: str) -> int:
        raw = self._values.get(name)
        return int(raw) if raw is not None else int(CATALOGUE[name].default)

    def as_dict(self) -> dict[str, str]:
        return {**defaults(), **self._values}
