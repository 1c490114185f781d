"""Reading and re-driving outbox commands: the status view, the dead-letter list, re-drive.

The API status vocabulary (spec/commands.md §6.8): PENDING, PROCESSING (leased right now),
CONFIRMED, RETRYING, REJECTED, FAILED (dead: attempts exhausted or unmappable; an admin may
re-drive it). PROCESSING is read from the live lease in the queue rather than written to the
command row, so a claim touches only the small queue table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

import psycopg
from pydantic import BaseModel, ConfigDict, Field

from shared import pagination
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.tracing import trace_id_of

ApiStatus = Literal["PENDING", "PROCESSING", "CONFIRMED", "RETRYING", "REJECTED", "FAILED"]


class CommandResult(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    tx_id: str = Field(alias="txId")
    block_number: int = Field(alias="blockNumber")
    ids: dict[str, Any] = Field(default_factory=dict, description="ids the chain created")


class CommandError(BaseModel):
    code: str
    message: str


class CommandStatus(BaseModel):
    """GET /api/v1/commands/{commandId}."""

    model_config = ConfigDict(populate_by_name=True)
    command_id: str = Field(alias="commandId")
    type: str
    status: ApiStatus
    attempts: int
    result: CommandResult | None = None
    error: CommandError | None = None
    next_attempt_at: datetime | None = Field(None, alias="nextAttemptAt")
    projected: bool = Field(
        False, description="CONFIRMED and already applied to the read models: what it created"
        " or moved is visible to reads (CONFIRMED alone means the ledger committed it).")
    trace_id: str | None = Field(
        None, alias="traceId", description="W3C trace id of the request that sent the command:"
        " the one trace of its acceptance, submission, commit and projection (logs and spans).")
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")


class DeadCommand(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    command_id: str = Field(alias="commandId")
    type: str
    service: str
    aggregate_key: str = Field(alias="aggregateKey")
    principal_id: str | None = Field(alias="principalId")
    attempts: int
    error: CommandError | None = None
    payload: dict[str, Any]
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")


class DeadCommandPage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    items: list[DeadCommand]
    next_cursor: str | None = Field(None, alias="nextCursor")


_SELECT = """
SELECT c.id, c.tenant_id, c.command_type, c.status, c.attempts, c.principal_id, c.tx_id,
       c.block_number, c.result, c.error_code, c.error_message, c.created_at, c.updated_at,
       c.traceparent, q.next_attempt_at,
       (q.lease_expires_at IS NOT NULL AND q.lease_expires_at > now()) AS leased,
       -- The read side has applied the command's chain event (one per transaction): a
       -- projector disposed of it, or its positions were pruned once everything up to a block
       -- past it was (shared/projection_state.py).
       (c.status = 'CONFIRMED' AND (
          EXISTS (SELECT 1 FROM projected_events e WHERE e.event_id = c.tx_id || ':0')
          OR (NOT EXISTS (SELECT 1 FROM published_events p WHERE p.event_id = c.tx_id || ':0')
              AND c.block_number <= (SELECT max(published_through) FROM chain_heights))
       )) AS projected
FROM outbox_commands c LEFT JOIN outbox_queue q ON q.command_id = c.id
WHERE c.id = %s AND c.tenant_id = %s
"""


def api_status(status: str, leased: bool) -> ApiStatus:
    if status in ("PENDING", "RETRYING") and leased:
        return "PROCESSING"
    if status == "DEAD":
        return "FAILED"
    return cast(ApiStatus, status)


def ids_of(result: Any) -> dict[str, Any]:
    """The created ids in a chain return value, e.g. {"loanId": "LOAN_..."}."""
    if result is None:
        return {}
    if isinstance(result, dict):
        return {k: v for k, v in result.items() if isinstance(v, (str, int)) and not isinstance(v, bool)}
    if isinstance(result, (str, int)) and not isinstance(result, bool):
        return {"id": result}
    return {}


def to_status(row: dict[str, Any]) -> CommandStatus:
    status = api_status(row["status"], bool(row["leased"]))
    result = None
    if row["status"] == "CONFIRMED":
        result = CommandResult(
            txId=row["tx_id"], blockNumber=row["block_number"], ids=ids_of(row["result"])
        )
    error = None
    if row["error_code"] and row["status"] != "CONFIRMED":
        error = CommandError(code=row["error_code"], message=row["error_message"] or "")
    return CommandStatus(
        commandId=row["id"],
        type=row["command_type"],
        status=status,
        attempts=row["attempts"],
        result=result,
        error=error,
        nextAttemptAt=row["next_attempt_at"] if status == "RETRYING" else None,
        projected=bool(row.get("projected")),
        traceId=trace_id_of(row.get("traceparent")),
        createdAt=row["created_at"],
        updatedAt=row["updated_at"],
    )


def get_status(
    conn: psycopg.Connection[Any], command_id: str, *, tenant: str, viewer: str, admin: bool
) -> CommandStatus:
    """The command's status for its owner or an admin; anyone else gets NotFound (no oracle)."""
    row = conn.execute(_SELECT, (command_id, tenant)).fetchone()
    if row is None or (not admin and row["principal_id"] != viewer):
        raise NotFound("no such command", code="COMMAND_NOT_FOUND")
    return to_status(row)


def list_dead(
    conn: psycopg.Connection[Any], *, tenant: str, limit: int, cursor: str | None
) -> DeadCommandPage:
    """Dead commands, most recently failed first; `cursor` is the last page's nextCursor."""
    params: dict[str, Any] = {"tenant": tenant, "limit": limit + 1}
    after = ""
    if cursor:
        stamp, last_id = pagination.decode(cursor, 2)
        try:
            params["c_at"], params["c_id"] = datetime.fromisoformat(stamp), last_id
        except ValueError:
            raise ValidationFailed("invalid cursor", code="INVALID_CURSOR") from None
        after = "AND (updated_at, id) < (%(c_at)s, %(c_id)s)"
    rows = conn.execute(
        f"""
        SELECT id, command_type, service, aggregate_key, principal_id, attempts, payload,
               error_code, error_message, created_at, updated_at
        FROM outbox_commands
        WHERE status = 'DEAD' AND tenant_id = %(tenant)s {after}
        ORDER BY updated_at DESC, id DESC
        LIMIT %(limit)s
        """,
        params,
    ).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        DeadCommand(
            commandId=r["id"],
            type=r["command_type"],
            service=r["service"],
            aggregateKey=r["aggregate_key"],
            principalId=r["principal_id"],
            attempts=r["attempts"],
            error=CommandError(code=r["error_code"], message=r["error_message"] or "")
            if r["error_code"]
            else None,
            payload=r["payload"],
            createdAt=r["created_at"],
            updatedAt=r["updated_at"],
        )
        for r in rows
    ]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = pagination.encode(last["updated_at"], last["id"])
    return DeadCommandPage(items=items, nextCursor=next_cursor)


def redrive(conn: psycopg.Connection[Any], command_id: str, *, tenant: str) -> dict[str, Any]:
    """Put a DEAD command back in the queue with fresh attempts (inside the caller's transaction).

    It goes to the back of its aggregate (a new sequence number): commands accepted after it may
    already have been applied, and holding them back now would not undo that.
    Returns the command row as it was before.
    """
    row = conn.execute(
        "SELECT id, command_type, status, attempts, aggregate_key, error_code, error_message"
        " FROM outbox_commands WHERE id = %s AND tenant_id = %s FOR UPDATE",
        (command_id, tenant),
    ).fetchone()
    if row is None:
        raise NotFound("no such command", code="COMMAND_NOT_FOUND")
    if row["status"] != "DEAD":
        raise Conflict(
            f"only a dead command can be re-driven (this one is {row['status']})",
            code="COMMAND_NOT_DEAD",
        )
    conn.execute(
        "WITH s AS (SELECT nextval('outbox_accept_seq') AS seq),"
        " c AS (UPDATE outbox_commands SET status = 'PENDING', attempts = 0, aggregate_seq = s.seq,"
        "  error_code = NULL, error_message = NULL, finished_at = NULL, updated_at = now()"
        "  FROM s WHERE id = %(id)s RETURNING id, aggregate_key, aggregate_seq, command_type)"
        " INSERT INTO outbox_queue (command_id, aggregate_key, seq, command_type)"
        " SELECT id, aggregate_key, aggregate_seq, command_type FROM c",
        {"id": command_id},
    )
    return dict(row)
