"""Admin use cases on the outbox: list dead commands and re-drive one (both audited by their
contracts, `shared.audit_calls`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared import db
from shared.auth import Principal
from shared.outbox import status
from shared.outbox.enqueue import Enqueued, announce_after_commit
from shared.outbox.reply import CommandAccepted, announce


class DeadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


def list_dead_commands(*, actor: Principal, query: DeadQuery) -> status.DeadCommandPage:
    with db.connection() as conn:
        return status.list_dead(conn, tenant=actor.tenant, limit=query.limit, cursor=query.cursor)


def retry_command(
    command_id: str, *, actor: Principal, source: str
) -> tuple[CommandAccepted, int, dict[str, str]]:
    with db.transaction() as conn:
        status.redrive(conn, command_id, tenant=actor.tenant)
        row = conn.execute(
            "SELECT id, command_type, request_id, tx_id, aggregate_key, created_at"
            " FROM outbox_commands WHERE id = %s",
            (command_id,),
        ).fetchone()
    assert row is not None  # locked and updated above in this transaction
    if not announce_after_commit([command_id]):  # inside a request's unit: announced after it
        announce([command_id], source=source)
    command = Enqueued(
        id=row["id"],
        type=row["command_type"],
        status="PENDING",
        request_id=row["request_id"],
        tx_id=row["tx_id"],
        aggregate_key=row["aggregate_key"],
        created_at=row["created_at"],
        created=False,
    )
    return CommandAccepted.reply(command, message="Command re-driven; poll statusUrl.")
