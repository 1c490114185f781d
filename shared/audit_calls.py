"""Which HTTP calls write an audit record, and what the record says: from the function's contract.

The rule: every successful call by a staff member (ADMIN, SUPER_ADMIN) to a route whose contract
is `audited` (every non-GET route that takes a caller, and GET routes that declare `audit`) writes
exactly one `audit_log` row, on the same transaction as everything the call writes, so the call
and its record commit together or not at all. The row names

- the actor: the principal's id and role;
- the action: `spec.audit.action`, else the function name upper-cased;
- the target: `spec.audit.target_type` and the id from the path, the body, the reply, a constant
  or the caller (`spec.audit.target`);
- before: the target's state just before the handler ran (`spec.audit.before`, a loader in
  `shared.audit_state`), where the target has a state;
- after: what the call asked for (the validated body, or the query of a GET) and the reply fields
  the contract keeps (a command's `commandId` always);
- metadata: request id, function, method, path, status, client address, user agent.

Handlers write no audit rows of their own. A command runs inside the idempotency unit
(`shared.idempotency`), which calls `begin`/`Trail.write` around its handler; any other audited
call runs inside a unit of its own here (`run`). A replayed idempotent response writes nothing:
the call it replays has its record.

PARTNER_API is not staff and is not audited by this rule: it is the machine identity that performs
user operations on users' behalf, at user rate, and each of its writes is already traced by its
outbox command (principal, request id) and chain transaction. Auditing it would serialise payment
traffic on the audit chain's lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flask
import psycopg
from pydantic import BaseModel

from shared import audit, db
from shared.auth import ADMIN_ROLES, Principal

STAFF_ROLES = ADMIN_ROLES
_USER_AGENT_MAX = 200


def applies(spec: Any, principal: Principal | None) -> bool:
    """Whether this caller's successful call to `spec` writes an audit record."""
    return principal is not None and principal.role in STAFF_ROLES and bool(spec.audited)


def contract(spec: Any) -> Any:
    """The spec's audit contract. Registered routes always declare one (knative/registry.py);
    a route built elsewhere (tests) gets the plainest: the service as the target type."""
    from knative.spec import AuditSpec

    return spec.audit or AuditSpec(target_type=spec.service.upper())


def action_of(spec: Any) -> str:
    return str(contract(spec).action or spec.name.upper())


@dataclass
class Trail:
    """One audited call between its start (target and state before) and its record."""

    call: Any
    contract: Any
    target_id: str | None
    before: Any
    request: Any

    def write(self, conn: psycopg.Connection[Any], response: flask.Response) -> str:
        """Append the call's record on `conn` (the call's own transaction); its hash."""
        call, c = self.call, self.contract
        fields = (("commandId",) if call.spec.command else ()) + tuple(c.reply)
        kind, name = _source(c.target)
        reply = _reply_json(response) if fields or kind == "reply" else {}
        target_id = _text(pick(reply, name)) if kind == "reply" else self.target_id
        principal: Principal = call.principal
        return audit.record(
            conn,
            event_type=action_of(call.spec),
            actor_id=principal.sub,
            actor_role=principal.role,
            target_type=c.target_type,
            target_id=target_id,
            before=self.before,
            after={"request": self.request, "reply": {f: pick(reply, f) for f in fields}},
            metadata=_metadata(call, response),
        )


def begin(call: Any, conn: psycopg.Connection[Any]) -> Trail | None:
    """Start the record of an audited call on its unit, before its handler runs (None when the
    call is not audited)."""
    if not applies(call.spec, call.principal):
        return None
    c = contract(call.spec)
    target_id = _target(c.target, call)
    before = None
    if c.before:
        from knative.spec import resolve

        loader: Callable[[psycopg.Connection[Any], str | None], Any] = resolve(c.before)
        before = loader(conn, target_id)
    return Trail(call=call, contract=c, target_id=target_id, before=audit.jsonable(before),
                 request=_request_data(call))


class _Refused(Exception):
    """Leaves the unit so a refused call commits nothing; carries its reply."""

    def __init__(self, response: flask.Response) -> None:
        self.response = response


def run(call: Any, handler: Callable[[Any], Any]) -> flask.Response:
    """Run an audited call that is not a command: its writes and its record in one unit."""
    from shared.http import to_response
    from shared.outbox import announce_later, collect

    try:
        with collect() as enqueued, db.unit() as conn:
            trail = begin(call, conn)
            response = to_response(handler(call), default_status=call.spec.response_status,
                                   audiences=call.audiences)
            if response.status_code >= 400:
                raise _Refused(response)
            if trail is not None:
                trail.write(conn, response)
    except _Refused as refused:
        return refused.response
    if enqueued:  # committed: wake the submitter (what the handler would have announced)
        announce_later(enqueued, source=call.spec.service_name)
    return response


# --- the parts of a record ------------------------------------------------------------------


def _source(target: str | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    kind, _, name = target.partition(":")
    return kind, name


def _target(target: str | None, call: Any) -> str | None:
    kind, name = _source(target)
    if kind == "path":
        return _text(call.params.get(name))
    if kind == "body":
        return _text(_body_json(call.body).get(name)) if call.body is not None else None
    if kind == "const":
        return name
    if kind == "principal":
        return str(call.principal.sub)
    return None  # the whole system, or known from the reply only


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _body_json(body: Any) -> dict[str, Any]:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", by_alias=True)
    return body if isinstance(body, dict) else {}


def _request_data(call: Any) -> Any:
    """What the call asked for: the fields its validated body set, the names and types of
    uploaded files, or the query of a body-less request."""
    if isinstance(call.body, BaseModel):
        return call.body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if call.body is not None:
        return call.body
    request: flask.Request = call.request
    if request.files:
        return {"files": {name: {"filename": f.filename, "contentType": f.mimetype}
                          for name, f in request.files.items()}}
    return request.args.to_dict() or None


def _reply_json(response: flask.Response) -> Any:
    if response.mimetype != "application/json":
        return {}
    data = response.get_data()
    return json.loads(data) if data else {}


def pick(data: Any, path: str) -> Any:
    """The value at a dotted path ('a.b'); 'items[].id' maps over a list."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = data.get(head[:-2]) if isinstance(data, dict) else None
        if not isinstance(items, list):
            return None
        return [pick(item, rest) if rest else item for item in items]
    value = data.get(head) if isinstance(data, dict) else None
    return pick(value, rest) if rest else value


def _metadata(call: Any, response: flask.Response) -> dict[str, Any]:
    from shared.http import client_ip

    request: flask.Request = call.request
    meta: dict[str, Any] = {
        "requestId": call.request_id,
        "function": call.spec.name,
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "ip": client_ip(request),
        "userAgent": (request.headers.get("User-Agent") or "")[:_USER_AGENT_MAX] or None,
    }
    if call.spec.command:
        meta["idempotencyKey"] = call.idempotency_key
    return meta
