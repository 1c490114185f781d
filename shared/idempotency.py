"""Idempotent command endpoints: `Idempotency-Key` (or `X-Idempotency-Key`) per principal.

`shared.http` calls `run(call, handler)` for every registry entry with `command=True`. The handler
runs inside one `db.unit()`: its reads, business rows and outbox commands and, for a keyed request,
the stored reply all commit together, in one transaction, or not at all.
- no key: a server-generated one (the command is still unique, just not replayable);
- a new key: the handler runs and a 2xx/3xx reply is stored with its commands, for 24 hours
  (errors are not stored, and roll back whatever the handler wrote: the client may fix the
  request and retry with the same key); a request that dies half-way leaves nothing behind;
- the same key, principal, method, route and body again: the stored reply, byte for byte, with
  `Idempotent-Replayed: true`; the same key with another body or route: 422;
- the same key while the first request still runs: the second waits on the first's uncommitted
  rows (the outbox request id, the stored key) and then answers with the first's stored reply.

`call.idempotency_key` is what services pass to `outbox.enqueue` as the request id. It is scoped
by principal (`key:<principal>:<key>`), so two callers can never collide on the outbox's unique
request id.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import flask
from psycopg.types.json import Jsonb

from shared import db
from shared.config import get_settings
from shared.errors import BadRequest, Conflict, GXError, ValidationFailed

HEADERS = ("Idempotency-Key", "X-Idempotency-Key")
REPLAYED = "Idempotent-Replayed"
TTL_S = 24 * 3600
#: Visible ASCII, 16-128 characters; the OpenAPI document states the same bounds.
KEY_MIN, KEY_MAX = 16, 128
_KEY = re.compile(rf"^[\x21-\x7e]{{{KEY_MIN},{KEY_MAX}}}$")
_STORED_HEADERS = ("Location", "Content-Type")


class IdempotencyKeyReused(ValidationFailed):
    code = "IDEMPOTENCY_KEY_REUSED"


def key_from(request: flask.Request) -> str | None:
    """The client's key, or None; 400 when it is malformed."""
    for name in HEADERS:
        value = request.headers.get(name)
        if value is not None:
            value = value.strip()
            if not _KEY.match(value):
                raise BadRequest(
                    f"{name} must be 16-128 visible ASCII characters",
                    code="INVALID_IDEMPOTENCY_KEY",
                )
            return value
    return None


def request_hash(request: flask.Request) -> str:
    """What must be identical for a replay: method, path, query and the body's JSON content
    (key order and whitespace do not matter; a non-JSON body is hashed as bytes)."""
    raw = request.get_data(cache=True) or b""
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except (ValueError, UnicodeDecodeError):
        body = raw
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.query_string, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def scoped_request_id(principal_id: str, key: str) -> str:
    return f"key:{principal_id}:{key}"


class _Refused(Exception):
    """Leaves the unit so it rolls back; carries the error reply to send."""

    def __init__(self, response: flask.Response) -> None:
        self.response = response


class _Stored(Exception):
    """A reply is already stored under the key: leaves the unit (nothing was written) to be
    replayed."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row


class _KeyTaken(Conflict):
    """Another request stored a reply under this key first; this one's work rolls back."""

    code = "IDEMPOTENCY_KEY_BUSY"

    def __init__(self) -> None:
        super().__init__("a request with this Idempotency-Key just finished; retry",
                         retry_after=1)


def run(call: Any, handler: Callable[[Any], Any]) -> Any:
    """Run a command handler in one unit of work under the caller's idempotency key (see the
    module docstring)."""
    # Anonymous callers are told apart by address, so one can never replay another's response.
    principal = call.principal.sub if call.principal is not None else f"ip:{call.client_ip}"
    key = key_from(call.request)
    if key is None:
        call.idempotency_key = f"server:{uuid.uuid4()}"
        return _execute(call, handler, record=None)
    call.idempotency_key = scoped_request_id(principal, key)
    pk = (get_settings().tenant, principal, key)
    digest = request_hash(call.request)
    try:
        return _execute(call, handler, record=(pk, digest))
    except _Stored as found:
        stored = found.row
    except GXError:
        # A concurrent request with this key may have committed first (its outbox row or
        # its reply made this one fail): answer as a retry after it would have.
        stored = _lookup(pk)
        if stored is None:
            raise
    return _replay(stored, call, digest)


def _execute(call: Any, handler: Callable[[Any], Any], *,
             record: tuple[tuple[str, str, str], str] | None) -> flask.Response:
    from shared import audit_calls
    from shared.http import to_response
    from shared.outbox import announce_later, collect

    try:
        with collect() as enqueued, db.unit() as conn:
            if record is not None:  # the unit's first read: no connection of its own
                stored = _lookup(record[0])
                if stored is not None:
                    raise _Stored(stored)
            trail = audit_calls.begin(call, conn)  # a staff call's state before, for its record
            response = to_response(handler(call), default_status=call.spec.response_status,
                                   audiences=call.audiences)
            if not 200 <= response.status_code < 400:
                raise _Refused(response)
            if trail is not None:
                trail.write(conn, response)
            if record is not None and not _store(conn, *record, call.request, response,
                                                 call.headers):
                raise _KeyTaken
    except _Refused as refused:
        return refused.response
    if enqueued:
        # The unit has committed: tell the submitter (background, best-effort).
        announce_later(enqueued, source=call.spec.service_name)
    return response


def _store(conn: Any, pk: tuple[str, str, str], digest: str, request: flask.Request,
           response: flask.Response, extra: dict[str, str]) -> bool:
    """Store the reply under the key in the unit; False when a live reply is already stored
    (after waiting for a concurrent request that holds the key to commit or roll back)."""
    headers = {h: response.headers[h] for h in _STORED_HEADERS if h in response.headers}
    headers.update(extra)
    row = conn.execute(
        """
        INSERT INTO idempotency_keys AS k
            (tenant_id, principal_id, idempotency_key, method, route, request_hash,
             response_status, response_body, response_headers, expires_at)
        VALUES (%(t)s, %(p)s, %(k)s, %(method)s, %(route)s, %(hash)s, %(status)s, %(body)s,
                %(headers)s, now() + make_interval(secs => %(ttl)s))
        ON CONFLICT (tenant_id, principal_id, idempotency_key) DO UPDATE
        SET method = EXCLUDED.method, route = EXCLUDED.route, request_hash = EXCLUDED.request_hash,
            response_status = EXCLUDED.response_status, response_body = EXCLUDED.response_body,
            response_headers = EXCLUDED.response_headers, created_at = now(),
            expires_at = EXCLUDED.expires_at
        WHERE k.expires_at <= now()
        RETURNING 1
        """,
        {
            "t": pk[0], "p": pk[1], "k": pk[2], "method": request.method, "route": request.path,
            "hash": digest, "status": response.status_code, "body": response.get_data(),
            "headers": Jsonb(headers), "ttl": TTL_S,
        },
    ).fetchone()
    return row is not None


def _lookup(pk: tuple[str, str, str]) -> dict[str, Any] | None:
    return db.fetch_one(
        "SELECT request_hash, response_status, response_body, response_headers"
        " FROM idempotency_keys WHERE tenant_id = %s AND principal_id = %s"
        " AND idempotency_key = %s AND expires_at > now()",
        pk,
    )


def _replay(row: dict[str, Any], call: Any, digest: str) -> flask.Response:
    if row["request_hash"] != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different request"
        )
    headers = dict(row["response_headers"] or {})
    content_type = headers.pop("Content-Type", "application/json")
    call.headers.update(headers)
    call.headers[REPLAYED] = "true"
    return flask.Response(
        bytes(row["response_body"] or b""), row["response_status"], content_type=content_type
    )


def purge_expired(conn: Any, limit: int = 1000) -> int:
    """Delete up to `limit` expired keys (the sweeper calls this every tick)."""
    return int(
        conn.execute(
            "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY("
            " SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT %s))",
            (limit,),
        ).rowcount
    )
