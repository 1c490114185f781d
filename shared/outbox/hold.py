"""An operator's hold on ledger submission: accept and queue commands, submit none.

For ledger maintenance or an incident (a chaincode upgrade, a peer being replaced): unlike the
on-chain pause, users can still send commands; they wait in the outbox, in order, and nothing
is lost or retried in vain. Releasing the hold wakes the submitter, which drains the backlog in
batches. The claim query itself checks the hold (`claim._CLAIM`), so no worker can miss it.
Both changes are audited (OUTBOX_HELD, OUTBOX_RELEASED) by their functions' contracts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from shared import db
from shared.api import ApiModel, ReplyModel
from shared.auth import Principal
from shared.outbox.enqueue import announce_after_commit
from shared.outbox.reply import announce


class HoldIn(ApiModel):
    reason: str = Field(min_length=10, max_length=500, description="why submission stops")


class OutboxHold(ReplyModel):
    held: bool
    reason: str | None = None
    held_by: str | None = None
    held_at: datetime | None = None
    queued: int = Field(description="commands waiting in the outbox")


def current() -> OutboxHold:
    row = db.fetch_one(
        "SELECT h.reason, h.held_by, h.held_at, (SELECT count(*) FROM outbox_queue) AS queued"
        " FROM (SELECT 1) one LEFT JOIN outbox_hold h ON true"
    )
    assert row is not None
    return _reply(row)


def hold(body: HoldIn, *, actor: Principal) -> OutboxHold:
    with db.transaction() as conn:
        row = conn.execute(
            "INSERT INTO outbox_hold (reason, held_by) VALUES (%s, %s)"
            " ON CONFLICT (singleton) DO UPDATE SET reason = EXCLUDED.reason"
            " RETURNING reason, held_by, held_at, (SELECT count(*) FROM outbox_queue) AS queued",
            (body.reason, actor.sub),
        ).fetchone()
    return _reply(row)


def release(*, source: str) -> OutboxHold:
    with db.transaction() as conn:
        gone = conn.execute("DELETE FROM outbox_hold RETURNING reason, held_by, held_at").fetchone()
        oldest = conn.execute(
            "SELECT command_id, (SELECT count(*) FROM outbox_queue) AS queued"
            " FROM outbox_queue ORDER BY seq LIMIT 1").fetchone()
    # Wake the submitter now rather than at the sweeper's next tick (once the release has
    # committed, when it runs inside a request's unit).
    if gone is not None and oldest is not None and not announce_after_commit(
            [oldest["command_id"]]):
        announce([oldest["command_id"]], source=source)
    return OutboxHold(held=False, queued=oldest["queued"] if oldest else 0)


def _reply(row: dict[str, Any]) -> OutboxHold:
    return OutboxHold(held=row["reason"] is not None, reason=row["reason"],
                      held_by=row["held_by"], held_at=row["held_at"], queued=row["queued"])
