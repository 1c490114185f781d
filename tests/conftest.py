"""Test harness: real PostgreSQL, Redis and S3 for every run, a fresh database per run.

Servers come from GX_DATABASE_URL / GX_REDIS_URL / GX_S3_ENDPOINT when set (this machine has the
first two on 127.0.0.1),
otherwise embedded ones are started under a temporary folder. Each run creates its own database
`gx_test_<random>` (dropped at the end) and its own Redis key prefix, so runs never collide. A
fixture that cannot reach a server fails naming it; nothing is skipped.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from shared.auth import generate_keypair
from shared.config import reset_settings

RUN_ID = secrets.token_hex(4)
_TMP = Path(tempfile.mkdtemp(prefix=f"gx-test-{RUN_ID}-"))
_started: list[object] = []


def _server_url(var: str, start) -> str:  # type: ignore[no-untyped-def]
    given = os.environ.get(var, "").strip()
    if given:
        return given
    return start()


def _base_database_url() -> str:
    def start() -> str:
        from shared.runtime.embedded import EmbeddedPostgres

        pg = EmbeddedPostgres(_TMP / "pg")
        _started.append(pg)
        return pg.start()

    return _server_url("GX_DATABASE_URL", start)


def _redis_url() -> str:
    def start() -> str:
        from shared.runtime.embedded import EmbeddedRedis

        r = EmbeddedRedis(_TMP / "redis")
        _started.append(r)
        return r.start()

    return _server_url("GX_REDIS_URL", start)


def _s3() -> dict[str, str]:
    """GX_S3_ENDPOINT (with its GX_S3_* keys) when set, else an embedded SeaweedFS S3 server."""
    given = os.environ.get("GX_S3_ENDPOINT", "").strip()
    if given:
        return {"GX_S3_ENDPOINT": given}
    from shared.runtime.embedded import EmbeddedS3

    keys = {"GX_S3_ACCESS_KEY": f"gxtest{RUN_ID}", "GX_S3_SECRET_KEY": secrets.token_hex(16)}
    s3 = EmbeddedS3(
        _TMP / "s3", access_key=keys["GX_S3_ACCESS_KEY"], secret_key=keys["GX_S3_SECRET_KEY"],
        stop_grace_s=0.5,  # the run's data is thrown away: no need to wait for weed's 15 s stop
    )
    _started.append(s3)
    return {"GX_S3_ENDPOINT": s3.start(), **keys}


def _database_url(base: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(base)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)


def pytest_configure(config: pytest.Config) -> None:
    """Provision the run's servers and database before any test module is imported."""
    base = _base_database_url()
    dbname = f"gx_test_{RUN_ID}"
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    except psycopg.OperationalError as exc:
        raise pytest.UsageError(f"PostgreSQL at GX_DATABASE_URL is unreachable: {exc}") from exc
    url = _database_url(base, dbname)
    private, public = generate_keypair()
    os.environ.update(
        {
            "GX_ENV": "test",
            "GX_DATABASE_URL": url,
            "GX_REDIS_URL": _redis_url(),
            "GX_REDIS_PREFIX": f"gx-test-{RUN_ID}:",
            # In-process tests change read models directly and act at once; the e2e system runs
            # with the production default (tests/e2e/conftest.py) and tests/unit/test_hot_reads.py
            # covers the cache itself.
            "GX_HOT_READ_CACHE_S": "0",
            "GX_JWT_PRIVATE_KEY": private,
            "GX_JWT_PUBLIC_KEY": public,
            "GX_TEST_BASE_DATABASE_URL": base,
            "GX_TEST_DATABASE_NAME": dbname,
            # Anchors of this run's audit chain only, even on an S3 that other runs share.
            "GX_AUDIT_ANCHOR_PREFIX": f"test-{RUN_ID}",
            **_s3(),
        }
    )
    reset_settings()
    from shared.migrate import migrate
    from shared.seed import catalogue_parameters, load_countries, seed

    migrate(url)
    with psycopg.connect(url) as conn:  # reference data every test may rely on
        seed(conn, countries=load_countries(), parameters=catalogue_parameters(), tenant_id="default")


def pytest_unconfigure(config: pytest.Config) -> None:
    from shared.db import close_pools

    close_pools()
    base = os.environ.get("GX_TEST_BASE_DATABASE_URL")
    name = os.environ.get("GX_TEST_DATABASE_NAME")
    if base and name:
        try:
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        except psycopg.Error:
            pass
    for server in reversed(_started):
        server.stop()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ["GX_DATABASE_URL"]


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty database of its own (for tests of migrations themselves)."""
    base = os.environ["GX_TEST_BASE_DATABASE_URL"]
    name = f"gx_test_{RUN_ID}_{secrets.token_hex(3)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _database_url(base, name)
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
