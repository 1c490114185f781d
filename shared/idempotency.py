"""Idempotent command endpoints: `Idempotency-Key` (or `X-Idempotency-Key`) per principal.

`shared.http` calls `run(call, handler)` for every registry entry with `command=True`:
- no key: a server-generated one (the command is still unique, just not replayable);
- a new key: the key is reserved IN_PROGRESS (with a lease, so a crashed request frees it), the
  handler runs, and a 2xx/3xx reply is stored for 24 hours (errors are not stored: the client may
  fix the request and retry with the same key);
- the same key, principal, method, route and body again: the stored reply, byte for byte, with
  `Idempotent-Replayed: true`;
- the same key with another body or route: 422; while the first request still runs: 409.

`call.idempotency_key` is what services pass to `outbox.enqueue` as the request id. It is scoped
by principal (`key:<principal>:<key>`), so two callers can never collide on the outbox's unique
request id; re-running a crashed request therefore finds the command it already created.
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
from shared.errors import BadRequest, Conflict, ValidationFailed
from shared.observability import get_logger

log = get_logger(__name__)

HEADERS = ("Idempotency-Key", "X-Idempotency-Key")
REPLAYED = "Idempotent-Replayed"
TTL_S = 24 * 3600
LEASE_S = 120  # longer than any request may run (the function timeout is 30 s)
_KEY = re.compile(r"^[\x21-\x7e]{16,128}$")  # visible ASCII, 16-128 characters (data-model.md)
_STORED_HEADERS = ("Location", "Content-Type")


class IdempotencyKeyReused(ValidationFailed):
    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyInProgress(Conflict):
    code = "IDEMPOTENCY_IN_PROGRESS"


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


def run(call: Any, handler: Callable[[Any], Any]) -> Any:
    """Run a command handler under the caller's idempotency key (see the module docstring)."""
    # Anonymous callers are told apart by address, so one can never replay another's response.
    principal = call.principal.sub if call.principal is not None else f"ip:{call.client_ip}"
    key = key_from(call.request)
    if key is None:
        call.idempotency_key = f"server:{uuid.uuid4()}"
        return _execute(call, handler)
    call.idempotency_key = scoped_request_id(principal, key)
    pk = (get_settings().tenant, principal, key)
    digest = request_hash(call.request)
    token = _reserve(pk, call.request, digest)
    if token is None:
        return _existing(pk, call, digest)
    try:
        response = _execute(call, handler, token=token, pk=pk)
    except BaseException:
        _forget(pk, token)
        raise
    return response


def _execute(call: Any, handler: Callable[[Any], Any], *, token: uuid.UUID | None = None,
             pk: tuple[str, str, str] | None = None) -> flask.Response:
    from shared.http import to_response
    from shared.outbox import announce_later, collect

    with collect() as enqueued:
        reply = handler(call)
    response = to_response(reply, default_status=call.spec.response_status)
    ok = 200 <= response.status_code < 400
    if token is not None and pk is not None:
        if ok:
            _complete(pk, token, response, call.headers)
        else:
            _forget(pk, token)
    if ok and enqueued:
        # The handler's transaction has committed: tell the submitter (background, best-effort).
        announce_later(enqueued, source=call.spec.service_name)
    return response


def _reserve(pk: tuple[str, str, str], request: flask.Request, digest: str) -> uuid.UUID | None:
    """Our lock token when we may run the request; None when someone else owns the key."""
    token = uuid.uuid4()
    row = db.fetch_one(
        """
        INSERT INTO idempotency_keys AS k
            (tenant_id, principal_id, idempotency_key, method, route, request_hash, state,
             lock_token, locked_until, expires_at)
        VALUES (%(t)s, %(p)s, %(k)s, %(method)s, %(route)s, %(hash)s, 'IN_PROGRESS',
                %(token)s, now() + make_interval(secs => %(lease)s),
                now() + make_interval(secs => %(ttl)s))
        ON CONFLICT (tenant_id, principal_id, idempotency_key) DO UPDATE
        SET method = EXCLUDED.method, route = EXCLUDED.route, request_hash = EXCLUDED.request_hash,
            state = 'IN_PROGRESS', lock_token = EXCLUDED.lock_token,
            locked_until = EXCLUDED.locked_until, response_status = NULL, response_body = NULL,
            response_headers = NULL, created_at = now(), completed_at = NULL,
            expires_at = EXCLUDED.expires_at
        WHERE k.expires_at <= now()
           OR (k.state = 'IN_PROGRESS' AND k.locked_until <= now()
               AND k.request_hash = EXCLUDED.request_hash)
        RETURNING lock_token
        """,
        {
            "t": pk[0], "p": pk[1], "k": pk[2], "method": request.method, "route": request.path,
            "hash": digest, "token": token, "lease": LEASE_S, "ttl": TTL_S,
        },
    )
    return token if row is not None else None


def _existing(pk: tuple[str, str, str], call: Any, digest: str) -> flask.Response:
    row = db.fetch_one(
        "SELECT state, request_hash, response_status, response_body, response_headers"
        " FROM idempotency_keys WHERE tenant_id = %s AND principal_id = %s"
        " AND idempotency_key = %s",
        pk,
    )
    if row is None:  # the first request failed and released the key just now
        raise IdempotencyInProgress(
            "a request with this Idempotency-Key just finished with an error; retry", retry_after=1
        )
    if row["request_hash"] != digest:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different request"
        )
    if row["state"] != "COMPLETED":
        raise IdempotencyInProgress(
            "a request with this Idempotency-Key is still being processed", retry_after=1
        )
    headers = dict(row["response_headers"] or {})
    content_type = headers.pop("Content-Type", "application/json")
    call.headers.update(headers)
    call.headers[REPLAYED] = "true"
    return flask.Response(
        bytes(row["response_body"] or b""), row["response_status"], content_type=content_type
    )


def _complete(
    pk: tuple[str, str, str], token: uuid.UUID, response: flask.Response, extra: dict[str, str]
) -> None:
    headers = {h: response.headers[h] for h in _STORED_HEADERS if h in response.headers}
    headers.update(extra)
    db.execute(
        "UPDATE idempotency_keys SET state = 'COMPLETED', response_status = %s,"
        " response_body = %s, response_headers = %s, completed_at = now(), lock_token = NULL,"
        " locked_until = NULL"
        " WHERE tenant_id = %s AND principal_id = %s AND idempotency_key = %s"
        " AND lock_token = %s",
        (response.status_code, response.get_data(), Jsonb(headers), *pk, token),
    )


def _forget(pk: tuple[str, str, str], token: uuid.UUID) -> None:
    try:
        db.execute(
            "DELETE FROM idempotency_keys WHERE tenant_id = %s AND principal_id = %s"
            " AND idempotency_key = %s AND lock_token = %s",
            (*pk, token),
        )
    except Exception:  # noqa: BLE001 - the lease expires anyway; never mask the original error
        log.warning("idempotency.release_failed")


def purge_expired(conn: Any, limit: int = 1000) -> int:
    """Delete up to `limit` expired keys (the sweeper calls this every tick)."""
    return int(
        conn.execute(
            "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY("
            " SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT %s))",
            (limit,),
        ).rowcount
    )
