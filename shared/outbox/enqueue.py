"""`enqueue(conn, command)`: put a command into the outbox inside the caller's transaction.

The payload is validated against the command's catalogue entry and mapped to its chain call right
here, so a command that cannot be submitted can never be inserted (spec/commands.md §6.5, gaps.md
C16/C22). The chain transaction id is derived from the command id (`tx_id_for`), so however often
the command is submitted it can apply at most once. The request id (idempotency key) is unique
per tenant: enqueueing the same request again returns the first command, and re-using it for a
different command is a conflict.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ValidationError

from shared.chain.catalogue import CommandDef, commands
from shared.chain.port import tx_id_for
from shared.config import get_settings
from shared.errors import Conflict, ValidationFailed
from shared.outbox import metrics
from shared.tracing import current_traceparent


@dataclass(frozen=True, slots=True)
class Command:
    """A command a service wants on the ledger."""

    type: str
    payload: Mapping[str, Any] | BaseModel
    request_id: str | None = None  # idempotency key or deterministic business key
    principal_id: str | None = None  # who asked; may read its status
    service: str | None = None  # defaults to the catalogue entry's service


@dataclass(frozen=True, slots=True)
class Enqueued:
    id: str
    type: str
    status: str
    request_id: str
    tx_id: str
    aggregate_key: str
    created_at: datetime
    created: bool = True  # False: an earlier identical request, returned instead
    extra: dict[str, Any] = field(default_factory=dict)


class UnknownCommand(ValidationFailed):
    code = "UNMAPPABLE_COMMAND"


class RequestIdConflict(Conflict):
    code = "IDEMPOTENCY_KEY_CONFLICT"


_collector: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "gx_outbox_collector", default=None
)


@contextlib.contextmanager
def collect() -> Iterator[list[str]]:
    """Collect the ids of commands enqueued inside the block (to announce after commit)."""
    ids: list[str] = []
    token = _collector.set(ids)
    try:
        yield ids
    finally:
        _collector.reset(token)


def announce_after_commit(command_ids: list[str]) -> bool:
    """Hand committed-to-be command ids to the open `collect()` block, whose owner announces them
    once its transaction has committed; False when no block is open (announce them yourself)."""
    ids = _collector.get()
    if ids is None:
        return False
    ids.extend(command_ids)
    return True


def _definition(command_type: str, catalogue: Mapping[str, CommandDef] | None) -> CommandDef:
    defs = catalogue if catalogue is not None else commands()
    try:
        return defs[command_type]
    except KeyError:
        raise UnknownCommand(
            f"unknown command type {command_type!r}", command_type=command_type
        ) from None


def validate(command: Command, catalogue: Mapping[str, CommandDef] | None = None) -> tuple[CommandDef, dict[str, Any], str]:
    """(definition, normalised payload, aggregate key), or ValidationFailed naming the fields."""
    definition = _definition(command.type, catalogue)
    raw = command.payload
    data = raw.model_dump(mode="json", by_alias=True) if isinstance(raw, BaseModel) else dict(raw)
    # `CommandDef.type` shadows the builtin in its own annotations, so mypy cannot see the model.
    payload_model: Any = definition.payload
    try:
        model = payload_model.model_validate(data)
        # Map now: a payload that validates but cannot become a chain call must not get in.
        definition.args(model)
        aggregate = definition.aggregate(model)
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in err["loc"]) or "(payload)",
                "message": err["msg"],
                "type": err["type"],
            }
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise ValidationFailed(
            f"invalid {command.type} payload", errors=errors, code="INVALID_COMMAND"
        ) from None
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(
            f"{command.type} payload cannot be mapped to its chain call: {exc}",
            code="INVALID_COMMAND",
        ) from None
    return definition, model.model_dump(mode="json", by_alias=True), aggregate


def enqueue(
    conn: psycopg.Connection[Any],
    command: Command,
    *,
    catalogue: Mapping[str, CommandDef] | None = None,
) -> Enqueued:
    """Insert `command` (PENDING) on `conn`'s open transaction; the caller commits."""
    if conn.info.transaction_status != TransactionStatus.INTRANS:
        raise RuntimeError("outbox.enqueue must run inside the caller's open transaction")
    definition, payload, aggregate = validate(command, catalogue)
    tenant = get_settings().tenant
    command_id = str(uuid.uuid4())
    request_id = command.request_id or f"server:{command_id}"
    # Serialise acceptance per aggregate until the caller commits, so accepted order (the
    # sequence) is also commit order and a claimer never sees a later command before an earlier.
    # The lock is taken in the same statement, by the row the insert selects from, so it is held
    # before nextval() assigns the sequence.
    row = conn.execute(
        """
        WITH serialised AS (
            SELECT pg_advisory_xact_lock(hashtextextended(%(aggregate)s, 7))
        ), ins AS (
            INSERT INTO outbox_commands
                (id, tenant_id, service, command_type, request_id, principal_id, aggregate_key,
                 aggregate_seq, payload, tx_id, traceparent)
            SELECT %(id)s, %(tenant)s, %(service)s, %(type)s, %(request_id)s, %(principal)s,
                   %(aggregate)s, nextval('outbox_accept_seq'), %(payload)s, %(tx_id)s,
                   %(traceparent)s
            FROM serialised
            ON CONFLICT (tenant_id, request_id) DO NOTHING
            RETURNING id, aggregate_key, aggregate_seq, command_type, created_at
        ), q AS (
            INSERT INTO outbox_queue (command_id, aggregate_key, seq, command_type, enqueued_at)
            SELECT id, aggregate_key, aggregate_seq, command_type, created_at FROM ins
        )
        SELECT id, created_at FROM ins
        """,
        {
            "id": command_id,
            "tenant": tenant,
            "service": command.service or definition.service,
            "type": definition.type,
            "request_id": request_id,
            "principal": command.principal_id,
            "aggregate": aggregate,
            "payload": Jsonb(payload),
            "tx_id": tx_id_for(command_id),
            "traceparent": current_traceparent(),
        },
    ).fetchone()
    if row is not None:
        metrics.ENQUEUED.labels(definition.type).inc()
        ids = _collector.get()
        if ids is not None:
            ids.append(command_id)
        return Enqueued(
            id=command_id,
            type=definition.type,
            status="PENDING",
            request_id=request_id,
            tx_id=tx_id_for(command_id),
            aggregate_key=aggregate,
            created_at=_col(row, "created_at", 1),
        )
    return _existing(conn, tenant, request_id, definition.type, payload)


def _col(row: Any, name: str, index: int) -> Any:
    return row[name] if isinstance(row, dict) else row[index]


def _existing(
    conn: psycopg.Connection[Any], tenant: str, request_id: str, command_type: str, payload: Any
) -> Enqueued:
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    row = cur.execute(
        "SELECT id, command_type, payload, status, tx_id, aggregate_key, created_at"
        " FROM outbox_commands WHERE tenant_id = %s AND request_id = %s",
        (tenant, request_id),
    ).fetchone()
    if row is None:  # the conflicting insert rolled back meanwhile; the caller may retry
        raise RequestIdConflict("the request is being processed concurrently; try again")
    if row["command_type"] != command_type or row["payload"] != payload:
        raise RequestIdConflict(
            "this idempotency key was already used for a different command",
            command_id=row["id"],
        )
    return Enqueued(
        id=row["id"],
        type=row["command_type"],
        status=row["status"],
        request_id=request_id,
        tx_id=row["tx_id"],
        aggregate_key=row["aggregate_key"],
        created_at=row["created_at"],
        created=False,
    )
