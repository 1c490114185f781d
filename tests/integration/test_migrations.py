"""The migration runner: idempotent, safe under concurrency, refuses edited history."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from shared.migrate import MigrationError, discover, migrate


def test_second_run_is_a_no_op(fresh_database: str) -> None:
    first = migrate(fresh_database)
    assert first == [m.name for m in discover()]
    assert migrate(fresh_database) == []


def test_concurrent_runners_apply_each_file_once(fresh_database: str) -> None:
    results: list[list[str]] = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait()
        results.append(migrate(fresh_database))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    applied = [name for r in results for name in r]
    assert sorted(applied) == sorted(m.name for m in discover())
    with psycopg.connect(fresh_database) as conn:
        count = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    assert count == len(discover())


def test_edited_applied_migration_is_refused_by_name(fresh_database: str, tmp_path: Path) -> None:
    (tmp_path / "0001_create_a.sql").write_text("CREATE TABLE a (id int);")
    migrate(fresh_database, tmp_path)
    (tmp_path / "0001_create_a.sql").write_text("CREATE TABLE a (id bigint);")
    with pytest.raises(MigrationError, match="0001_create_a.sql"):
        migrate(fresh_database, tmp_path)


def test_one_parameter_table_keeps_what_the_chain_said(fresh_database: str,
                                                       tmp_path: Path) -> None:
    """0026 folds rm_chain_parameters into system_parameters: the chain's value (and position)
    wins over the seeded default, a seeded key the chain never set stays, the old table goes."""
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    for m in discover():
        if m.version < 26:
            (before / m.name).write_text(m.sql)
        (after / m.name).write_text(m.sql)
    migrate(fresh_database, before)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("INSERT INTO system_parameters (param_key, param_value)"
                     " VALUES ('votingPeriodDays', '14'), ('maxLoanDurationDays', '365')")
        conn.execute("INSERT INTO rm_chain_parameters (param_key, param_value, updated_at,"
                     " block_number, tx_index) VALUES ('votingPeriodDays', '21', now(), 7, 3)")
    migrate(fresh_database, after)
    with psycopg.connect(fresh_database) as conn:
        rows = conn.execute("SELECT param_key, param_value, source, updated_in_block,"
                            " chain_tx_index FROM system_parameters ORDER BY 1").fetchall()
        assert rows == [("maxLoanDurationDays", "365", "seed", None, 0),
                        ("votingPeriodDays", "21", "chain", 7, 3)]
        assert conn.execute("SELECT to_regclass('rm_chain_parameters')").fetchone() == (None,)
