"""Claiming and finalising outbox commands: SKIP LOCKED, leases, ownership-checked writes.

A claim is one autocommit statement over the small `outbox_queue` table: it picks due rows that
are the head of their aggregate (no earlier unfinished command of the same aggregate is queued,
so one aggregate's commands go to the ledger one at a time, in accepted order), skips rows other
claimers are locking, and stamps them with a lease (owner, token, expiry). Nothing else touches a
leased row until its lease expires - then it is claimable again. Leases are short (seconds) and
the claimer renews them while it is submitting (`shared.outbox.heartbeat`), so only a dead or
stalled claimer lets one run out: its commands wait a lease, not minutes. Finalising
deletes or updates the queue row only `WHERE lease_token = <ours>`, so a worker whose lease was
taken over writes nothing (gaps.md C13/C14).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared.outbox.policy import Decision

_CLAIM = """
WITH picked AS (
    SELECT q.command_id
    FROM outbox_queue q
    WHERE q.next_attempt_at <= now()
      AND (q.lease_expires_at IS NULL OR q.lease_expires_at <= now())
      AND NOT EXISTS (SELECT 1 FROM outbox_hold)
      AND NOT EXISTS (
          SELECT 1 FROM outbox_queue e
          WHERE e.aggregate_key = q.aggregate_key AND e.seq < q.seq)
      {filter}
    ORDER BY q.seq
    LIMIT %(limit)s
    FOR UPDATE OF q SKIP LOCKED
)
UPDATE outbox_queue q
SET lease_owner = %(owner)s,
    lease_token = %(token)s,
    lease_expires_at = now() + make_interval(secs => %(lease)s),
    claims = q.claims + 1
FROM picked JOIN outbox_commands c ON c.id = picked.command_id
WHERE q.command_id = picked.command_id
RETURNING q.command_id, q.seq, q.attempts, q.failures, q.claims, q.aggregate_key,
          c.command_type, c.payload, c.tx_id
"""


@dataclass(frozen=True, slots=True)
class Claimed:
    command_id: str
    command_type: str
    payload: dict[str, Any]
    tx_id: str
    aggregate_key: str
    seq: int
    attempts: int
    failures: int
    claims: int
    lease_token: uuid.UUID

    @property
    def outcome_unknown(self) -> bool:
        """An earlier claim may have reached the ledger (crash or timeout): look it up first."""
        return self.claims > 1


@dataclass(frozen=True, slots=True)
class Lease:
    owner: str
    token: uuid.UUID
    seconds: float


def new_lease(owner: str, seconds: float) -> Lease:
    return Lease(owner, uuid.uuid4(), seconds)


def claim(
    conn: psycopg.Connection[Any],
    lease: Lease,
    *,
    limit: int,
    command_id: str | None = None,
    aggregate_key: str | None = None,
    types: Sequence[str] | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due head-of-aggregate commands, oldest first (autocommit); none
    while an operator holds the outbox (`shared.outbox.hold`).

    `types` restricts the claim to command types the caller can map (a submitter built with an
    explicit catalogue); None claims every type, and an unmappable one then goes DEAD.
    """
    clauses = []
    params: dict[str, Any] = {
        "limit": limit,
        "owner": lease.owner,
        "token": lease.token,
        "lease": lease.seconds,
    }
    if command_id is not None:
        clauses.append("AND q.command_id = %(command_id)s")
        params["command_id"] = command_id
    if aggregate_key is not None:
        clauses.append("AND q.aggregate_key = %(aggregate)s")
        params["aggregate"] = aggregate_key
    if types is not None:
        clauses.append("AND q.command_type = ANY(%(types)s)")
        params["types"] = list(types)
    sql = _CLAIM.format(filter=" ".join(clauses))
    rows = conn.execute(sql, params).fetchall()
    claimed = [
        Claimed(
            command_id=r["command_id"],
            command_type=r["command_type"],
            payload=r["payload"],
            tx_id=r["tx_id"],
            aggregate_key=r["aggregate_key"],
            seq=r["seq"],
            attempts=r["attempts"],
            failures=r["failures"],
            claims=r["claims"],
            lease_token=lease.token,
        )
        for r in rows
    ]
    claimed.sort(key=lambda c: c.seq)
    return claimed


_FINISH = """
WITH f AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s)
        AS f(id text, status text, attempts int, block bigint, result jsonb, code text,
             message text)
), gone AS (
    DELETE FROM outbox_queue q USING f
    WHERE q.command_id = f.id AND q.lease_token = %(token)s
    RETURNING q.command_id
)
UPDATE outbox_commands c
SET status = f.status, attempts = f.attempts, block_number = f.block, result = f.result,
    error_code = f.code, error_message = f.message, updated_at = now(), finished_at = now()
FROM f JOIN gone ON gone.command_id = f.id
WHERE c.id = f.id
RETURNING c.id, c.command_type, c.status
"""

_RETRY = """
WITH f AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s)
        AS f(id text, attempts int, failures int, delay float8, code text, message text)
), moved AS (
    UPDATE outbox_queue q
    SET attempts = f.attempts, failures = f.failures,
        next_attempt_at = now() + make_interval(secs => f.delay),
        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
    FROM f
    WHERE q.command_id = f.id AND q.lease_token = %(token)s
    RETURNING q.command_id
)
UPDATE outbox_commands c
SET status = 'RETRYING', attempts = f.attempts, error_code = f.code, error_message = f.message,
    updated_at = now()
FROM f JOIN moved ON moved.command_id = f.id
WHERE c.id = f.id
RETURNING c.id, c.command_type, c.status
"""


def finalise(
    conn: psycopg.Connection[Any], token: uuid.UUID, decisions: list[Decision]
) -> list[dict[str, Any]]:
    """Write `decisions` for rows we still lease, in one transaction; the rows written.

    Terminal commands leave the queue; retried ones get their backoff and lose the lease.
    Rows whose lease was taken over are skipped: their new owner decides.
    """
    done = [d for d in decisions if d.terminal]
    retry = [d for d in decisions if not d.terminal]
    written: list[dict[str, Any]] = []
    # One JSON document per statement: psycopg's text arrays escape every JSON result through a
    # regular expression, which was an eighth of a drain's CPU at 100 commands a batch.
    with conn.transaction():
        if done:
            rows = [{"id": d.command_id, "status": d.status, "attempts": d.attempts,
                     "block": d.block_number, "result": d.result, "code": d.error_code,
                     "message": d.error_message} for d in done]
            written += conn.execute(_FINISH, {"rows": Jsonb(rows), "token": token}).fetchall()
        if retry:
            rows = [{"id": d.command_id, "attempts": d.attempts, "failures": d.failures,
                     "delay": d.retry_in_s or 0.0, "code": d.error_code,
                     "message": d.error_message} for d in retry]
            written += conn.execute(_RETRY, {"rows": Jsonb(rows), "token": token}).fetchall()
    return written


def renew(conn: psycopg.Connection[Any], lease: Lease, command_ids: list[str]) -> list[str]:
    """Push the expiry of our lease on `command_ids` to `lease.seconds` from now (autocommit);
    the ids still ours. A row taken over after our lease ran out, or already finalised, is not
    touched."""
    rows = conn.execute(
        "UPDATE outbox_queue SET lease_expires_at = now() + make_interval(secs => %s)"
        " WHERE command_id = ANY(%s) AND lease_token = %s RETURNING command_id",
        (lease.seconds, command_ids, lease.token),
    ).fetchall()
    return [r["command_id"] for r in rows]


def release(conn: psycopg.Connection[Any], token: uuid.UUID, command_ids: list[str]) -> int:
    """Give leased rows back untouched (nothing was attempted), e.g. on shutdown."""
    return conn.execute(
        "UPDATE outbox_queue SET lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,"
        " claims = greatest(claims - 1, 0)"
        " WHERE command_id = ANY(%s) AND lease_token = %s",
        (command_ids, token),
    ).rowcount


def next_due_in_s(conn: psycopg.Connection[Any]) -> float | None:
    """Seconds until the earliest head-of-aggregate command becomes claimable (0 if one is due
    now); None when the queue is empty or submission is held (nothing becomes claimable until
    the release, which announces the backlog: a drain must not poll a held queue)."""
    row = conn.execute(
        "SELECT extract(epoch FROM min(greatest(q.next_attempt_at,"
        " coalesce(q.lease_expires_at, q.next_attempt_at))) - now()) AS wait"
        " FROM outbox_queue q WHERE NOT EXISTS (SELECT 1 FROM outbox_hold)"
        " AND NOT EXISTS (SELECT 1 FROM outbox_queue e"
        " WHERE e.aggregate_key = q.aggregate_key AND e.seq < q.seq)"
    ).fetchone()
    if row is None:
        return None
    wait = row["wait"] if isinstance(row, dict) else row[0]
    return None if wait is None else max(0.0, float(wait))
