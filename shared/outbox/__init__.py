"""The transactional outbox: commands bound for the ledger.

- `enqueue(conn, Command(...))` on the caller's transaction (validated and mapped at insert);
- `CommandAccepted.reply(command)` is the 202 + Location every command endpoint returns;
- `Submitter` claims (SKIP LOCKED + leases), submits, classifies and finalises;
- `status` reads a command for the status endpoint and re-drives dead ones.
See migrations/0010_create_outbox.sql for the tables and why the queue is a table of its own.
"""

from shared.outbox.enqueue import Command, Enqueued, collect, enqueue
from shared.outbox.reply import (
    ENQUEUED_EVENT,
    CommandAccepted,
    announce,
    announce_later,
    status_url,
)

__all__ = [
    "ENQUEUED_EVENT",
    "Command",
    "CommandAccepted",
    "Enqueued",
    "announce",
    "announce_later",
    "collect",
    "enqueue",
    "status_url",
]
