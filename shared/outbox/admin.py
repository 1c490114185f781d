"""Admin use cases on the outbox: list dead commands and re-drive one; both audited."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared import audit, db
from shared.auth import Principal
from shared.outbox import status
from shared.outbox.enqueue import Enqueued
from shared.outbox.reply import CommandAccepted, announce


class DeadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


def list_dead_commands(
    *, actor: Principal, query: DeadQuery, request_id: str
) -> status.DeadCommandPage:
    with db.transaction() as conn:
        page = status.list_dead(conn, tenant=actor.tenant, limit=query.limit, cursor=query.cursor)
        audit.record(
            conn,
            event_type="DEAD_COMMANDS_LISTED",
            actor_id=actor.sub,
            actor_role=actor.role,
            target_type="COMMAND",
            target_id="*",
            metadata={
                "requestId": request_id,
                "count": len(page.items),
                "commandIds": [i.command_id for i in page.items],
            },
        )
    return page


def retry_command(
    command_id: str, *, actor: Principal, request_id: str, source: str
) -> tuple[CommandAccepted, int, dict[str, str]]:
    with db.transaction() as conn:
        before = status.redrive(conn, command_id, tenant=actor.tenant)
        audit.record(
            conn,
            event_type="COMMAND_REDRIVEN",
            actor_id=actor.sub,
            actor_role=actor.role,
            target_type="COMMAND",
            target_id=command_id,
            before=_jsonable(before),
            after={"status": "PENDING", "attempts": 0},
            metadata={"requestId": request_id},
        )
        row = conn.execute(
            "SELECT id, command_type, request_id, tx_id, aggregate_key, created_at"
            " FROM outbox_commands WHERE id = %s",
            (command_id,),
        ).fetchone()
    assert row is not None  # locked and updated above in this transaction
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


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
