"""`command_transaction`: the one way a service writes business rows and outbox commands.

Business rows and outbox rows commit together; only after the commit is `command.enqueued`
announced (best-effort: the sweeper picks up anything the announcement misses). An exception
inside the block rolls everything back and announces nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg

from shared import db
from shared.outbox import announce, collect


@contextlib.contextmanager
def command_transaction(source: str) -> Iterator[psycopg.Connection[Any]]:
    with collect() as ids:
        with db.transaction() as conn:
            yield conn
    if ids:
        announce(ids, source=source)
