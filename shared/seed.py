"""Reference data: load the countries and the system-parameter catalogue, idempotently.

Follows spec/rules.md §13: countries first, then parameters, and neither ever overwrites a value
already in the database (production values win). The only change made to an existing row is to
fill a column that is still NULL: a country's `allocation_share`, a parameter's `description` /
`value_type` (for instance a key the projector created from a chain event before the seed ran).
Running the seed twice therefore changes nothing the second time.

Countries come from `shared/data/countries.csv` (packaged, so the image finds it) unless a path is
given; the file is validated as a whole (header, codes, shares summing to 1) before any row is
written, and everything is written in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg

from shared.config import get_settings
from shared.db import transaction
from shared.domain.parameters import CATALOGUE, Parameter

COUNTRY_COLUMNS = ("code", "name", "region", "allocation_share")
REGIONS = frozenset({"Africa", "Asia", "Europe", "North America", "South America", "Oceania"})
#: The shares are population fractions rounded to 8 places; their sum may drift by rounding only.
SHARE_SUM_TOLERANCE = Decimal("0.000001")
_CODE = re.compile(r"^[A-Z]{2}$")


class SeedDataError(ValueError):
    """The reference data is malformed; nothing was written."""


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    region: str | None
    allocation_share: Decimal


@dataclass(frozen=True)
class ParameterRow:
    key: str
    value: str
    description: str | None
    value_type: str | None


@dataclass(frozen=True)
class SeedResult:
    countries_in_source: int
    countries_inserted: int
    country_shares_filled: int
    parameters_in_catalogue: int
    parameters_inserted: int
    parameters_described: int

    @property
    def changed(self) -> bool:
        return any(
            (
                self.countries_inserted,
                self.country_shares_filled,
                self.parameters_inserted,
                self.parameters_described,
            )
        )

    def summary(self) -> str:
        return (
            f"seed: countries {self.countries_inserted} inserted, "
            f"{self.country_shares_filled} shares filled ({self.countries_in_source} in source); "
            f"parameters {self.parameters_inserted} inserted, "
            f"{self.parameters_described} described ({self.parameters_in_catalogue} in catalogue)"
        )


def packaged_countries_csv() -> str:
    """The text of the packaged reference list."""
    return resources.files("shared.data").joinpath("countries.csv").read_text(encoding="utf-8")


def parse_countries(text: str) -> list[Country]:
    """Validate and parse a countries CSV (`code,name,region,allocation_share`)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != COUNTRY_COLUMNS:
        raise SeedDataError(f"countries CSV header must be {','.join(COUNTRY_COLUMNS)}")
    countries: list[Country] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        code = (row["code"] or "").strip()
        name = (row["name"] or "").strip()
        region = (row["region"] or "").strip() or None
        if not _CODE.match(code):
            raise SeedDataError(f"line {line}: country code {code!r} is not two capital letters")
        if code in seen:
            raise SeedDataError(f"line {line}: country code {code} appears twice")
        if not name:
            raise SeedDataError(f"line {line}: country {code} has no name")
        if region is not None and region not in REGIONS:
            raise SeedDataError(f"line {line}: country {code} has unknown region {region!r}")
        try:
            share = Decimal((row["allocation_share"] or "").strip())
        except InvalidOperation:
            raise SeedDataError(f"line {line}: country {code} has no numeric share") from None
        if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
            raise SeedDataError(f"line {line}: country {code} share {share} is not in [0, 1]")
        seen.add(code)
        countries.append(Country(code, name, region, share))
    if not countries:
        raise SeedDataError("countries CSV has no rows")
    total = sum((c.allocation_share for c in countries), Decimal(0))
    if abs(total - 1) > SHARE_SUM_TOLERANCE:
        # Genesis quotas are floor(phase_limit × share): a list that does not add up to 1 would
        # over- or under-allocate the whole phase.
        raise SeedDataError(f"country allocation shares add up to {total}, not 1")
    return countries


def load_countries(path: Path | None = None) -> list[Country]:
    """The countries of `path`, or of the packaged list when no path is given."""
    if path is None:
        return parse_countries(packaged_countries_csv())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedDataError(f"cannot read {path}: {exc.strerror}") from None
    return parse_countries(text)


def catalogue_parameters() -> list[ParameterRow]:
    """The parameter catalogue of `shared.domain.parameters`, as rows to insert."""
    return parameter_rows(CATALOGUE.values())


def parameter_rows(definitions: Iterable[Parameter]) -> list[ParameterRow]:
    """Catalogue definitions -> rows: the chain's default string, description and kind."""
    rows: list[ParameterRow] = []
    seen: set[str] = set()
    for d in definitions:
        if d.name in seen:
            raise SeedDataError(f"parameter {d.name} is defined twice in the catalogue")
        seen.add(d.name)
        rows.append(ParameterRow(d.name, d.default, d.description, d.kind.value))
    return rows


def seed_countries(conn: psycopg.Connection[Any], countries: list[Country]) -> tuple[int, int]:
    """Insert missing countries; fill a NULL share. (inserted, shares filled)."""
    # xmax = 0 only on a freshly inserted row; the DO UPDATE ... WHERE returns no row at all
    # when the existing share is set, so an existing country is left exactly as it is.
    rows = conn.execute(
        """
        INSERT INTO countries (country_code, country_name, region, allocation_share)
        SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::numeric[])
        ON CONFLICT (country_code) DO UPDATE
            SET allocation_share = EXCLUDED.allocation_share
            WHERE countries.allocation_share IS NULL
        RETURNING (xmax = 0) AS inserted
        """,
        (
            [c.code for c in countries],
            [c.name for c in countries],
            [c.region for c in countries],
            [c.allocation_share for c in countries],
        ),
    ).fetchall()
    inserted = sum(1 for r in rows if _first(r))
    return inserted, len(rows) - inserted


def seed_parameters(
    conn: psycopg.Connection[Any], rows: list[ParameterRow], *, tenant_id: str
) -> tuple[int, int]:
    """Insert missing keys; fill a NULL description or type. (inserted, described)."""
    result = conn.execute(
        """
        INSERT INTO system_parameters
            (tenant_id, param_key, param_value, description, value_type, source)
        SELECT %s, k, v, d, t, 'seed'
        FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS p(k, v, d, t)
        ON CONFLICT (tenant_id, param_key) DO UPDATE
            SET description = COALESCE(system_parameters.description, EXCLUDED.description),
                value_type  = COALESCE(system_parameters.value_type, EXCLUDED.value_type)
            WHERE (system_parameters.description IS NULL AND EXCLUDED.description IS NOT NULL)
               OR (system_parameters.value_type IS NULL AND EXCLUDED.value_type IS NOT NULL)
        RETURNING (xmax = 0) AS inserted
        """,
        (
            tenant_id,
            [r.key for r in rows],
            [r.value for r in rows],
            [r.description for r in rows],
            [r.value_type for r in rows],
        ),
    ).fetchall()
    inserted = sum(1 for r in result if _first(r))
    return inserted, len(result) - inserted


def seed(
    conn: psycopg.Connection[Any],
    *,
    countries: list[Country],
    parameters: list[ParameterRow],
    tenant_id: str,
) -> SeedResult:
    """Seed countries then parameters on the caller's connection (and transaction)."""
    c_inserted, c_filled = seed_countries(conn, countries)
    p_inserted, p_described = seed_parameters(conn, parameters, tenant_id=tenant_id)
    return SeedResult(
        countries_in_source=len(countries),
        countries_inserted=c_inserted,
        country_shares_filled=c_filled,
        parameters_in_catalogue=len(parameters),
        parameters_inserted=p_inserted,
        parameters_described=p_described,
    )


def run_seed(*, countries: list[Country] | None = None, dsn: str | None = None) -> SeedResult:
    """`gx seed`: the packaged (or given) countries and the catalogue, in one transaction."""
    countries = load_countries() if countries is None else countries
    with transaction(dsn) as conn:
        return seed(
            conn,
            countries=countries,
            parameters=catalogue_parameters(),
            tenant_id=get_settings().tenant,
        )


def _first(row: Any) -> Any:
    # Pool connections return dict rows, plain ones tuples; accept both.
    return row["inserted"] if isinstance(row, dict) else row[0]
