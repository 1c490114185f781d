"""The app behind a real PgBouncer in transaction pooling mode, as the CloudNativePG Pooler runs it
(knative/deploy/platform/postgres.yaml): more client threads than server connections, so
consecutive statements of one client land on different server connections.

What breaks there is session state: psycopg's automatic server-side prepared statements (after
five runs of a query) and a session `SET statement_timeout`. The control test shows the breakage
is real with the default client settings; the others show GX_DB_TRANSACTION_POOLING avoids it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from shared import db
from shared.config import reset_settings
from tests.helpers import client_for
from tests.integration.platform.servers import PgBouncer

THREADS, ROUNDS = 8, 25


@pytest.fixture(scope="module")
def bouncer() -> Iterator[PgBouncer]:
    # `slow`: a database of its own whose role-level timeout is what the pooled app relies on.
    base = os.environ["GX_TEST_BASE_DATABASE_URL"]
    name = f"{os.environ['GX_TEST_DATABASE_NAME']}_slow"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # What knative/deploy sets on the app role (ALTER ROLE): here on a database of our own,
        # so no other test's connections change.
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET statement_timeout = '300ms'").format(
                sql.Identifier(name)
            )
        )
    slow_url = psycopg.conninfo.make_conninfo(os.environ["GX_DATABASE_URL"], dbname=name)
    pgb = PgBouncer({"gx": os.environ["GX_DATABASE_URL"], "slow": slow_url}, pool_size=2).start()
    try:
        yield pgb
    finally:
        pgb.stop()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch, bouncer: PgBouncer) -> Iterator[PgBouncer]:
    """The app's settings pointed at PgBouncer, in transaction pooling mode."""
    db.close_pools()
    monkeypatch.setenv("GX_DATABASE_URL", bouncer.url("gx"))
    monkeypatch.setenv("GX_DB_TRANSACTION_POOLING", "true")
    monkeypatch.setenv("GX_DB_POOL_MAX", str(THREADS))
    reset_settings()
    yield bouncer
    db.close_pools()
    monkeypatch.undo()
    reset_settings()


def _hammer(work) -> list[BaseException]:  # type: ignore[no-untyped-def]
    failures: list[BaseException] = []

    def run() -> None:
        for i in range(ROUNDS):
            try:
                work(i)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return failures


def test_default_client_settings_break_under_transaction_pooling(bouncer: PgBouncer) -> None:
    """Control: psycopg's default prepare_threshold through the same PgBouncer fails."""
    conns = [psycopg.connect(bouncer.url("gx"), autocommit=True) for _ in range(2)]
    errors = []
    try:
        for i in range(12):  # prepared from the 6th run on, on whichever server connection
            try:
                conns[i % 2].execute("SELECT count(*) FROM schema_migrations WHERE %s", (True,))
            except psycopg.Error as exc:
                errors.append(exc)
    finally:
        for c in conns:
            c.close()
    assert errors, "expected PgBouncer to lose psycopg's server-side prepared statements"
    assert any(e.sqlstate in {"26000", "42P05"} for e in errors), [str(e) for e in errors]


def test_app_reads_and_units_of_work_through_transaction_pooling(pooled: PgBouncer) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS platform_pool_probe (id int PRIMARY KEY, n int)")
    try:

        def work(i: int) -> None:
            key = threading.get_ident() % 1_000_000 * 100 + i
            # the same statements over and over: a prepared statement would be made and lost
            assert db.fetch_one("SELECT %s::int AS v", (i,)) == {"v": i}
            with db.unit() as conn:
                conn.execute("INSERT INTO platform_pool_probe VALUES (%s, 0)", (key,))
                conn.execute("UPDATE platform_pool_probe SET n = n + 1 WHERE id = %s", (key,))
                row = conn.execute("SELECT n FROM platform_pool_probe WHERE id = %s", (key,))
                assert row.fetchone() == {"n": 1}

        assert _hammer(work) == []
        count = db.fetch_one("SELECT count(*) AS c FROM platform_pool_probe")
        assert count == {"c": THREADS * ROUNDS}
    finally:
        db.execute("DROP TABLE IF EXISTS platform_pool_probe")


def test_query_function_served_through_transaction_pooling(pooled: PgBouncer) -> None:
    client = client_for("list_countries")

    def work(i: int) -> None:
        resp = client.get("/api/v1/countries")
        assert resp.status_code == 200, resp.get_json()

    assert _hammer(work) == []


def test_statement_timeout_comes_from_the_role_not_the_session(
    monkeypatch: pytest.MonkeyPatch, pooled: PgBouncer
) -> None:
    db.close_pools()
    monkeypatch.setenv("GX_DATABASE_URL", pooled.url("slow"))
    reset_settings()
    # No session SET went out: every server connection shows the database's own setting ...
    shown = {db.fetch_one("SHOW statement_timeout")["statement_timeout"] for _ in range(10)}
    assert shown == {"300ms"}
    # ... and it still stops a runaway statement, which the app reports as unavailable.
    with pytest.raises(db.DatabaseUnavailable):
        db.fetch_one("SELECT pg_sleep(2)")
