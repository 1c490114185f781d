"""psycopg errors translated into a small vocabulary the rest of the code can reason about."""

from __future__ import annotations

import psycopg
from psycopg import errors as pg

from shared.errors import Conflict, Unavailable


class DatabaseError(Exception):
    """An unexpected database failure (a bug or a broken invariant); logged, answered with 500."""


class DatabaseUnavailable(Unavailable):
    code = "DATABASE_UNAVAILABLE"


class UniqueViolation(Conflict):
    code = "ALREADY_EXISTS"

    def __init__(self, message: str, *, constraint: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint


class SerializationConflict(DatabaseUnavailable):
    """A retryable concurrency failure (serialization or deadlock)."""

    code = "RETRY"


def translate(exc: psycopg.Error) -> Exception:
    if isinstance(exc, pg.UniqueViolation):
        constraint = exc.diag.constraint_name if exc.diag else None
        return UniqueViolation("already exists", constraint=constraint)
    if isinstance(exc, (pg.SerializationFailure, pg.DeadlockDetected, pg.LockNotAvailable)):
        return SerializationConflict("concurrent update, try again")
    if isinstance(exc, (psycopg.OperationalError, pg.QueryCanceled, pg.AdminShutdown)):
        return DatabaseUnavailable("database unavailable")
    return DatabaseError(f"{type(exc).__name__}: {exc.sqlstate}")
