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
