"""Fixtures for the outbox against real PostgreSQL and the real embedded ledger.

The outbox tests use a database of their own (migrated like the run's database), so their
drainers never meet commands other tests enqueue, and other tests' workers never meet theirs.
Each test gets a fresh embedded-ledger schema, bootstrapped. Commands use `TEST_CATALOGUE`:
a real mapping to the ledger's AdminContract:UpdateSystemParameter whose aggregate key comes from
a `stream` field, so a test can choose how many aggregates (ordering streams) it spreads over.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import psycopg
import pytest
from psycopg import sql

from shared import db
from shared.chain.embedded.ledger import EmbeddedLedger
from shared.chain.port import ServiceIdentity, Submission
from shared.migrate import migrate
from shared.outbox import Command, enqueue
from tests.integration.outbox.sample_commands import PARAM, SET_PARAM, TEST_CATALOGUE

__all__ = ["PARAM", "SET_PARAM", "TEST_CATALOGUE"]


_shared: dict[str, Any] = {"dsn": None, "users": 0}


@pytest.fixture(scope="session")
def outbox_dsn() -> Iterator[str]:
    """The outbox tests' own migrated database. Other test modules import this fixture, which
    makes a second session fixture of the same function: the refcount keeps one database."""
    base = os.environ["GX_TEST_BASE_DATABASE_URL"]
    name = f"{os.environ['GX_TEST_DATABASE_NAME']}_outbox"
    if _shared["dsn"] is None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        info = psycopg.conninfo.conninfo_to_dict(base)
        info["dbname"] = name
        dsn = psycopg.conninfo.make_conninfo(**info)
        migrate(dsn)
        _shared["dsn"] = dsn
    _shared["users"] += 1
    try:
        yield str(_shared["dsn"])
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            dsn, _shared["dsn"] = _shared["dsn"], None
            db.get_pool(dsn).close()
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture
def connect(outbox_dsn: str) -> Callable[[], AbstractContextManager[Any]]:
    """Connections to the outbox database (what the Submitter's `connect` expects)."""
    with db.connection(outbox_dsn) as conn:
        # Each test starts with an empty outbox.
        conn.execute("TRUNCATE outbox_queue, outbox_commands, idempotency_keys")
    return lambda: db.connection(outbox_dsn)


def bootstrap(ledger: EmbeddedLedger) -> None:
    ledger.submit(
        Submission("AdminContract", "BootstrapSystem", [], f"boot-{uuid.uuid4()}",
                   identity=ServiceIdentity.SUPER_ADMIN)
    )


@pytest.fixture
def ledger(outbox_dsn: str) -> Iterator[EmbeddedLedger]:
    chain = EmbeddedLedger(outbox_dsn, f"ledger_t{secrets.token_hex(4)}")
    bootstrap(chain)
    try:
        yield chain
    finally:
        chain.drop()


def put(
    connect: Callable[[], AbstractContextManager[Any]],
    stream: str,
    value: int | str,
    *,
    request_id: str | None = None,
    principal: str | None = "tester",
) -> str:
    """Enqueue one test command in its own transaction; its id."""
    with connect() as conn, conn.transaction():
        command = enqueue(
            conn,
            Command(SET_PARAM, {"stream": stream, "paramId": PARAM, "newValue": str(value)},
                    request_id=request_id, principal_id=principal),
            catalogue=TEST_CATALOGUE,
        )
    return command.id


def ledger_tx_count(ledger: EmbeddedLedger) -> int:
    with db.connection(ledger.dsn) as conn:
        row = conn.execute(
            sql.SQL("SELECT count(*) AS n FROM {}.transactions WHERE function = %s").format(
                sql.Identifier(ledger.schema)
            ),
            ("UpdateSystemParameter",),
        ).fetchone()
    return int(row["n"])


def commands(connect: Callable[[], AbstractContextManager[Any]]) -> list[dict[str, Any]]:
    with connect() as conn:
        return conn.execute(
            "SELECT c.*, q.command_id IS NOT NULL AS queued FROM outbox_commands c"
            " LEFT JOIN outbox_queue q ON q.command_id = c.id ORDER BY c.aggregate_seq"
        ).fetchall()
