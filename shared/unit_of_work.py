"""`command_transaction`: the one way a service writes business rows and outbox commands.

Business rows and outbox rows commit together; only after the commit is `command.enqueued`
announced, in the background and best-effort: the sweeper picks up anything it misses. An exception
inside the block rolls everything back and announces nothing.

A command endpoint runs inside the request's `db.unit()` (see `shared.idempotency`): there the block
joins that unit, and the endpoint announces what was enqueued once the unit (with the idempotency
record) has committed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg

from shared import db
from shared.outbox import announce_later, collect


@contextlib.contextmanager
def command_transaction(source: str) -> Iterator[psycopg.Connection[Any]]:
    if db.in_unit():  # the unit's owner collects and announces after its commit
        with db.transaction() as conn:
            yield conn
        return
    with collect() as ids, db.transaction() as conn:
        yield conn
    if ids:
        announce_later(ids, source=source)
