"""`gx seed`: the countries and the parameter catalogue, loaded idempotently (rules.md §13).

Tests that write use a database of their own (migrated here), so the run's shared database keeps
whatever reference data other tests put there and counts in these tests are exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shared.cli import main as gx
from shared.config import reset_settings
from shared.db import get_pool
from shared.domain.parameters import CATALOGUE
from shared.migrate import migrate
from shared.seed import (
    SeedDataError,
    catalogue_parameters,
    load_countries,
    packaged_countries_csv,
    parse_countries,
    seed,
)

#: The project's reference list, beside the repository in the development tree.
REFERENCE_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "countries.csv"
HEADER = "code,name,region,allocation_share\n"


@pytest.fixture
def seeded_db(fresh_database: str) -> str:
    migrate(fresh_database)
    return fresh_database


def run(dsn: str, **kw: Any) -> Any:
    with psycopg.connect(dsn) as conn, conn.transaction():
        return seed(
            conn,
            countries=kw.get("countries", load_countries()),
            parameters=catalogue_parameters(),
            tenant_id="default",
        )


def snapshot(dsn: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with psycopg.connect(dsn) as conn:
        countries = conn.execute("SELECT * FROM countries ORDER BY country_code").fetchall()
        params = conn.execute(
            "SELECT * FROM system_parameters ORDER BY tenant_id, param_key"
        ).fetchall()
    return countries, params


# ---- the reference file -------------------------------------------------------------------


def test_packaged_countries_match_the_reference_list() -> None:
    packaged = Path(__file__).resolve().parents[2] / "shared" / "data" / "countries.csv"
    # In the development tree the project's list sits beside the repository; the packaged copy
    # must stay byte-identical to it. (An installed image has only the packaged copy.)
    if REFERENCE_CSV.exists():
        assert packaged.read_bytes() == REFERENCE_CSV.read_bytes()
    countries = parse_countries(packaged_countries_csv())
    assert len(countries) == 235
    assert len({c.code for c in countries}) == 235
    assert abs(sum(c.allocation_share for c in countries) - 1) <= Decimal("0.000001")
    by_code = {c.code: c for c in countries}
    assert by_code["XK"].allocation_share == 0  # Kosovo: no published share (data/README.md)
    assert by_code["IN"].name == "India" and by_code["IN"].region == "Asia"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name,region\nAA,A,Asia\n", "header"),
        (HEADER, "no rows"),
        (HEADER + "aa,A,Asia,1\n", "two capital letters"),
        (HEADER + "AA,A,Asia,0.5\nAA,B,Asia,0.5\n", "twice"),
        (HEADER + "AA,,Asia,1\n", "no name"),
        (HEADER + "AA,A,Atlantis,1\n", "unknown region"),
        (HEADER + "AA,A,Asia,lots\n", "numeric"),
        (HEADER + "AA,A,Asia,NaN\n", "not in"),
        (HEADER + "AA,A,Asia,1.2\n", "not in"),
        (HEADER + "AA,A,Asia,0.5\nBB,B,Europe,0.4\n", "add up to"),
    ],
)
def test_malformed_country_lists_are_refused(text: str, message: str) -> None:
    with pytest.raises(SeedDataError, match=message):
        parse_countries(text)


def test_a_country_without_region_is_accepted() -> None:
    (country,) = parse_countries(HEADER + "AA,Aland,,1\r\n")
    assert country.region is None and country.allocation_share == 1


# ---- seeding --------------------------------------------------------------------------------


def test_seed_loads_everything_and_a_second_run_changes_nothing(seeded_db: str) -> None:
    first = run(seeded_db)
    assert (first.countries_inserted, first.country_shares_filled) == (235, 0)
    assert (first.parameters_inserted, first.parameters_described) == (len(CATALOGUE), 0)
    before = snapshot(seeded_db)

    second = run(seeded_db)
    assert not second.changed
    assert second.summary() == (
        "seed: countries 0 inserted, 0 shares filled (235 in source); "
        f"parameters 0 inserted, 0 described ({len(CATALOGUE)} in catalogue)"
    )
    assert snapshot(seeded_db) == before  # not even updated_at moved

    with psycopg.connect(seeded_db) as conn:
        count, total = conn.execute(
            "SELECT count(*), sum(allocation_share) FROM countries"
        ).fetchone()  # type: ignore[misc]
        params = conn.execute(
            "SELECT param_key, param_value, description, value_type, source, tenant_id"
            " FROM system_parameters"
        ).fetchall()
    assert count == 235
    assert abs(total - 1) <= Decimal("0.000001")
    assert {p[0]: p[1:] for p in params} == {
        p.name: (p.default, p.description, p.kind.value, "seed", "default")
        for p in CATALOGUE.values()
    }


def test_seed_never_overwrites_existing_values(seeded_db: str) -> None:
    first_param = next(iter(CATALOGUE.values()))
    with psycopg.connect(seeded_db) as conn:
        conn.execute(
            "INSERT INTO countries (country_code, country_name, region, allocation_share) VALUES"
            " ('IN', 'Bharat', 'Asia', 0.2), ('KE', 'Kenya', 'Africa', NULL)"
        )
        # A key the projector mirrored from the chain before the seed ran: value and block stay.
        conn.execute(
            "INSERT INTO system_parameters (param_key, param_value, source, updated_in_block)"
            " VALUES (%s, '777', 'chain', 12)",
            (first_param.name,),
        )
        conn.execute(
            "INSERT INTO system_parameters (param_key, param_value, source, updated_in_block)"
            " VALUES ('SYSTEM_STATUS', 'PAUSED', 'chain', 13)"
        )

    result = run(seeded_db)
    assert (result.countries_inserted, result.country_shares_filled) == (233, 1)
    assert (result.parameters_inserted, result.parameters_described) == (len(CATALOGUE) - 1, 1)

    with psycopg.connect(seeded_db) as conn:
        india = conn.execute(
            "SELECT country_name, allocation_share FROM countries WHERE country_code = 'IN'"
        ).fetchone()
        kenya = conn.execute(
            "SELECT allocation_share FROM countries WHERE country_code = 'KE'"
        ).fetchone()
        param = conn.execute(
            "SELECT param_value, source, updated_in_block, description, value_type"
            " FROM system_parameters WHERE param_key = %s",
            (first_param.name,),
        ).fetchone()
        status = conn.execute(
            "SELECT param_value FROM system_parameters WHERE param_key = 'SYSTEM_STATUS'"
        ).fetchone()
    assert india == ("Bharat", Decimal("0.2"))
    listed = {c.code: c.allocation_share for c in load_countries()}
    assert kenya == (listed["KE"],)  # the NULL share is filled from the list
    assert param == ("777", "chain", 12, first_param.description, first_param.kind.value)
    assert status == ("PAUSED",)
    assert not run(seeded_db).changed


def test_concurrent_seeds_insert_each_row_once(seeded_db: str) -> None:
    results: list[Any] = []
    errors: list[psycopg.Error] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(run(seeded_db))
        except psycopg.Error as exc:  # a thread's failure is asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.countries_inserted for r in results) == 235
    assert sum(r.parameters_inserted for r in results) == len(CATALOGUE)


# ---- the command ------------------------------------------------------------------------------


@pytest.fixture
def cli_db(seeded_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """GX_DATABASE_URL pointing at the test's own database while `gx` runs."""
    monkeypatch.setenv("GX_DATABASE_URL", seeded_db)
    reset_settings()
    try:
        yield seeded_db
    finally:
        get_pool(seeded_db).close()  # before the database is dropped
        monkeypatch.undo()
        reset_settings()


def test_gx_seed_prints_one_line_and_is_idempotent(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gx(["seed"]) == 0
    first = capsys.readouterr().out
    assert first.count("\n") == 1
    assert first.startswith("seed: countries 235 inserted")
    assert gx(["seed"]) == 0
    assert capsys.readouterr().out.startswith("seed: countries 0 inserted, 0 shares filled")


def test_gx_seed_refuses_a_bad_file_and_writes_nothing(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "countries.csv"
    bad.write_text(HEADER + "AA,A,Asia,0.5\n")
    assert gx(["seed", "--countries", str(bad)]) == 1
    assert "add up to" in capsys.readouterr().err
    assert gx(["seed", "--countries", str(tmp_path / "missing.csv")]) == 1
    assert snapshot(cli_db) == ([], [])


def test_gx_seed_takes_another_list(cli_db: str, tmp_path: Path) -> None:
    other = tmp_path / "countries.csv"
    other.write_text(HEADER + "AA,Aland,Europe,0.25\nBB,Bland,Asia,0.75\n")
    assert gx(["seed", "--countries", str(other)]) == 0
    countries, params = snapshot(cli_db)
    assert [(c[0], c[1], c[3]) for c in countries] == [
        ("AA", "Aland", Decimal("0.25")),
        ("BB", "Bland", Decimal("0.75")),
    ]
    assert len(params) == len(CATALOGUE)
