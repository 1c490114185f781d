"""PostgreSQL access: one lazy connection pool per process, transactions, error translation.

Connections are autocommit: a plain read costs one round trip (no BEGIN/COMMIT, measured 20-40 %
faster), and `transaction()` opens an explicit transaction block for writes. Pools are created on
first use and re-created after a fork (gunicorn imports modules before forking its workers, and a
pool shared across the fork fails with "Bad file descriptor").

`unit()` makes one transaction the unit of work of everything inside it on this thread: while it
is open, `connection()`, `transaction()`, `fetch_*` and `execute` all use its connection, so a
command endpoint's reads, business rows, outbox rows and idempotency record cost one connection
checkout and one commit, and either all commit or none do. A `transaction()` inside a unit joins
it without a savepoint: an error inside fails the whole unit, which is what a command wants.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from shared.config import get_settings
from shared.db.errors import DatabaseUnavailable, translate

__all__ = [
    "DatabaseUnavailable",
    "close_pools",
    "connection",
    "execute",
    "fetch_all",
    "fetch_one",
    "get_pool",
    "in_unit",
    "transaction",
    "unit",
]

_lock = threading.Lock()
_pools: dict[tuple[int, str], ConnectionPool] = {}
_unit: contextvars.ContextVar[psycopg.Connection[Any] | None] = contextvars.ContextVar(
    "gx_db_unit", default=None
)


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.autocommit = True
    settings = get_settings()
    if settings.db_transaction_pooling:
        # Behind PgBouncer in transaction mode the next statement may run on another server
        # connection: a session SET would stick to whichever client that one serves next.
        # The timeout is the role's (ALTER ROLE ... SET statement_timeout, knative/deploy/).
        return
    conn.execute(f"SET statement_timeout = {int(settings.db_statement_timeout_ms)}")


# How long one chain of reconnect attempts lasts (psycopg_pool backs off 1, 2, 4 s ... without a
# cap). A short chain bounds recovery after an outage: once it gives up, the next caller that finds
# the pool empty starts a fresh chain whose first attempt is immediate. Callers pace their own
# retries (the outbox backs off per command), so the pool need not try harder than this.
RECONNECT_WINDOW_S = 5.0


def get_pool(dsn: str | None = None) -> ConnectionPool:
    """The pool for `dsn` (default GX_DATABASE_URL) in this process."""
    settings = get_settings()
    dsn = dsn or settings.require("database_url")
    key = (os.getpid(), dsn)
    pool = _pools.get(key)
    if pool is not None:
        return pool
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = ConnectionPool(
                dsn,
                min_size=settings.db_pool_min,
                max_size=max(settings.db_pool_max, settings.db_pool_min),
                # prepare_threshold=None: psycopg would otherwise prepare a statement on the
                # server after 5 runs and find it missing on the next server connection the
                # transaction pooler hands out ("prepared statement _pg3_0 does not exist").
                kwargs={"row_factory": dict_row}
                | ({"prepare_threshold": None} if settings.db_transaction_pooling else {}),
                configure=_configure,
                open=False,
                name=f"gx-{os.getpid()}",
                timeout=10.0,
                reconnect_timeout=RECONNECT_WINDOW_S,
            )
            pool.open(wait=False)
            _pools[key] = pool
    return pool


def close_pools() -> None:
    with _lock:
        for (pid, _), pool in list(_pools.items()):
            if pid == os.getpid():
                pool.close()
        _pools.clear()


@contextlib.contextmanager
def connection(dsn: str | None = None) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """An autocommit connection from the pool (or the open unit's connection); psycopg errors
    leave as `shared.db.errors`."""
    bound = _unit.get() if dsn is None else None
    if bound is not None:
        try:
            yield bound
        except psycopg.Error as exc:
            raise translate(exc) from exc
        return
    try:
        with get_pool(dsn).connection() as conn:
            try:
                yield conn
            except psycopg.Error as exc:
                raise translate(exc) from exc
    except PoolTimeout as exc:
        raise DatabaseUnavailable("no database connection available") from exc
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable("database unreachable") from exc


@contextlib.contextmanager
def transaction(dsn: str | None = None) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """A connection inside one transaction: committed when the block ends, rolled back on error.
    Inside a `unit()`, the unit's transaction (committed when the unit ends)."""
    bound = _unit.get() if dsn is None else None
    if bound is not None:
        with connection() as conn:
            yield conn
        return
    with connection(dsn) as conn:
        try:
            with conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise translate(exc) from exc


@contextlib.contextmanager
def unit() -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """One transaction for everything inside the block on this thread (see the module docstring).
    Committed when the block ends, rolled back if it raises. Units do not nest."""
    if _unit.get() is not None:
        raise RuntimeError("db.unit() is already open on this thread")
    with transaction() as conn:
        token = _unit.set(conn)
        try:
            yield conn
        finally:
            _unit.reset(token)


def in_unit() -> bool:
    return _unit.get() is not None


def _read_dsn() -> str | None:
    """Where a plain read goes: the read-only pooler when GX_DATABASE_READ_URL is set (query
    functions only, knative/render.py) and no unit of work is open (a unit reads its own writes)."""
    if _unit.get() is not None:
        return None
    return get_settings().database_read_url


def fetch_one(sql: str, params: Any = None) -> dict[str, Any] | None:
    with connection(_read_dsn()) as conn:
        return conn.execute(sql, params).fetchone()


def fetch_all(sql: str, params: Any = None) -> list[dict[str, Any]]:
    with connection(_read_dsn()) as conn:
        return conn.execute(sql, params).fetchall()


def execute(sql: str, params: Any = None) -> int:
    with connection() as conn:
        return conn.execute(sql, params).rowcount
