"""The `endpoint` decorator: everything an HTTP function needs besides its own logic.

A function module declares nothing but its handler; its route, method, auth, roles, owner check,
rate limit and body model come from its entry in `knative/registry.py` (looked up by target name).
For every request, in this order:

    request id + traceparent -> operational routes (/health, /ready) -> route match (404)
    -> method (405 + Allow) -> body size (413) -> auth (401) and role/owner checks (403)
    -> rate limit (429) -> content type (415) -> JSON (400) -> body model (422)
    -> idempotency for commands (replay / 409 / 422) -> handler -> JSON reply
    (a staff member's audited call writes its audit record on the handler's transaction:
    `shared.audit_calls`)

Every error leaves as `application/problem+json` (RFC 9457) with a stable `code`; unexpected
exceptions become a generic 500 that names only the request id. Every reply gets the hardening
headers. functions-framework routes every path and method to the target, which is why the route
and method are checked here.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from shared import api, audit_calls, auth, ratelimit
from shared.auth import Principal
from shared.config import get_settings
from shared.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    GXError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from shared.observability import (
    HTTP_ERRORS,
    HTTP_LATENCY,
    HTTP_REQUESTS,
    bind_request,
    get_logger,
    new_request_id,
    trace_context,
)

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_STATUS: list[tuple[type[GXError], int]] = [
    (ValidationFailed, 422),
    (BadRequest, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (MethodNotAllowed, 405),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (RateLimited, 429),
    (Unavailable, 503),
]
#: Sent on every reply, by every function and by the dev gateway's own replies.
HARDENING_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def status_for(exc: GXError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


Reply = Any  # payload | (payload, status) | (payload, status, headers) | flask.Response


@dataclass
class Call:
    """What a handler gets: the request, its validated parts and the caller."""

    request: flask.Request
    spec: Any  # knative.spec.FunctionSpec
    request_id: str
    params: dict[str, str]
    principal: Principal | None = None
    body: Any = None
    idempotency_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # extra reply headers
    #: Who the caller is to the resource (shared.api audiences): decides which reply fields
    #: they see. Set from the token and the owner check; `grant` adds what a handler checked.
    audiences: set[str] = field(default_factory=lambda: {api.PUBLIC})

    def grant(self, audience: str) -> None:
        """The caller belongs to `audience` for this resource (checked by the handler)."""
        self.audiences.add(audience)

    @property
    def client_ip(self) -> str:
        return client_ip(self.request)

    @property
    def user(self) -> Principal:
        if self.principal is None:  # only reachable for a public route that needs a caller
            raise Unauthorized("authentication required", code="AUTH_REQUIRED")
        return self.principal

    def query(self, model: type[BaseModel]) -> Any:
        """The query string validated against `model` (422 with field errors otherwise)."""
        return model.model_validate(self.request.args.to_dict())


def client_ip(request: flask.Request) -> str:
    """The caller's address: the edge gateway's own header when configured, else X-Forwarded-For
    trusted only for the configured proxy hops, else the socket peer."""
    settings = get_settings()
    if settings.client_ip_header:
        given = request.headers.get(settings.client_ip_header, "").strip()
        if given:
            return given
    hops = settings.trusted_proxies
    if hops:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "unknown"


# --- spec lookup ------------------------------------------------------------------------------


@functools.cache
def _spec(name: str) -> Any:
    from knative.registry import get_spec

    return get_spec(name)


@functools.cache
def _model(ref: str | None) -> type[BaseModel] | None:
    from knative.spec import resolve

    return resolve(ref) if ref else None


# --- the decorator ----------------------------------------------------------------------------


def endpoint(handler: Callable[[Call], Reply]) -> Callable[[flask.Request], flask.Response]:
    """Wrap `handler(call)` as a functions-framework HTTP target named like the handler."""
    name = handler.__name__

    @functools.wraps(handler)
    def target(request: flask.Request) -> flask.Response:
        return handle(_spec(name), handler, request)

    return target


def handle(spec: Any, handler: Callable[[Call], Reply], request: flask.Request) -> flask.Response:
    started = time.perf_counter()
    request_id = _request_id(request)
    trace_id, traceparent = trace_context(request.headers.get("traceparent"))
    bind_request(request_id=request_id, trace_id=trace_id, traceparent=traceparent,
                 function=spec.name)
    extra: dict[str, str] = {"X-Request-Id": request_id, "traceparent": traceparent}
    authenticated = spec.auth != "public"
    code = "OK"
    try:
        response = operational_response(request)
        if response is None:
            response, authenticated = _dispatch(spec, handler, request, request_id, extra)
    except Exception as exc:  # noqa: BLE001 - every failure leaves as problem+json
        response = problem_response(exc, request, request_id)
        code = getattr(exc, "code", "INTERNAL")
        if isinstance(exc, MethodNotAllowed):
            extra["Allow"] = ", ".join(exc.allow)
        if isinstance(exc, RateLimited):
            extra.update(
                {
                    "Retry-After": str(exc.retry_after),
                    "RateLimit-Limit": str(exc.fields.get("limit", "")),
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(exc.fields.get("reset", exc.retry_after)),
                }
            )
        if isinstance(exc, Unavailable) and exc.retry_after:
            extra["Retry-After"] = str(exc.retry_after)
    if response.status_code == 413:
        response = _unread_body_reply(response)
    # Token replies are never cached either (RFC 6749 5.1), though their callers are anonymous.
    _finish(response, request, extra, authenticated or spec.issues_tokens)
    elapsed = time.perf_counter() - started
    status = response.status_code
    _child(HTTP_REQUESTS, spec.name, request.method, str(status)).inc()
    _child(HTTP_LATENCY, spec.name).observe(elapsed)
    if status >= 400:
        _child(HTTP_ERRORS, spec.name, code).inc()
    return response


#: Labelled metric children by (metric, labels): `labels()` takes a lock and re-validates the
#: label values on every call; the set of children is the same as prometheus-client keeps.
_CHILDREN: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    key = (metric, *labels)
    found = _CHILDREN.get(key)
    if found is None:
        found = _CHILDREN[key] = metric.labels(*labels)
    return found


def _dispatch(
    spec: Any,
    handler: Callable[[Call], Reply],
    request: flask.Request,
    request_id: str,
    extra: dict[str, str],
) -> tuple[flask.Response, bool]:
    if request.method == "OPTIONS" and request.headers.get("Origin"):
        return flask.Response(status=204), False

    params = spec.match(request.path)
    if params is None:
        raise NotFound(f"no route for {request.path}", code="ROUTE_NOT_FOUND")
    if request.method != spec.method:
        raise MethodNotAllowed(
            f"{request.method} is not allowed here", allow=[spec.method, "OPTIONS"]
        )

    cap = spec.max_body_bytes or get_settings().max_body_bytes
    request.max_content_length = cap
    if request.content_length is not None and request.content_length > cap:
        raise PayloadTooLarge(f"request body exceeds {cap} bytes", limit=cap)

    call = Call(request=request, spec=spec, request_id=request_id, params=params)
    if spec.auth != "public":
        call.principal = auth.verify(request.headers.get("Authorization"))
        auth.require_role(call.principal, spec.roles)
    elif request.headers.get("Authorization"):
        # Public routes still recognise a valid caller (e.g. to show admins more), never require one.
        try:
            call.principal = auth.verify(request.headers.get("Authorization"))
        except Unauthorized:
            call.principal = None
    _canonical_params(spec, params)
    check_text(request.args.items(multi=True), where="query")
    if call.principal is not None:
        if call.principal.is_admin:
            call.audiences.add(api.STAFF)
        if spec.owner_param:
            auth.require_self_or_admin(call.principal, params[spec.owner_param])
            if call.principal.sub == params[spec.owner_param]:
                call.audiences.add(api.OWNER)

    if spec.rate_limit is not None:
        rl = spec.rate_limit
        subject = (
            call.principal.sub
            if rl.key == "principal" and call.principal is not None
            else client_ip(request)
        )
        limit = ratelimit.Limit(rl.name, rl.limit, rl.window_s, rl.key, rl.strict)
        extra.update(ratelimit.check(limit, subject).headers())

    if request.method in _BODY_METHODS:
        call.body = _parse_body(spec, request)

    if spec.command:
        from shared import idempotency, system_guard

        system_guard.ensure_accepting(call.principal)
        reply = idempotency.run(call, handler)
    elif audit_calls.applies(spec, call.principal):
        reply = audit_calls.run(call, handler)  # the call and its audit record: one transaction
    else:
        reply = handler(call)
    extra.update(call.headers)
    response = to_response(reply, default_status=spec.response_status, audiences=call.audiences)
    return response, spec.auth != "public"


def _unread_body_reply(response: flask.Response) -> flask.Response:
    """A 413 must not make the server read the oversized body after all: functions-framework's
    after-request hook drains every non-streamed request, so answer with a streamed body and
    close the connection instead (the rest of the upload is never read)."""
    body = response.get_data()
    streamed = flask.Response(iter([body]), 413, mimetype=response.mimetype)
    streamed.headers["Connection"] = "close"
    return streamed


def _parse_body(spec: Any, request: flask.Request) -> Any:
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise PayloadTooLarge("request body too large") from None
    model = _model(spec.request_model)
    if not raw:  # no body: fine when the model requires nothing (422 names what is missing)
        return None if model is None else _validate(model, {})
    mimetype = request.mimetype or ""
    if mimetype not in spec.content_types:
        raise UnsupportedMediaType(
            f"expected {' or '.join(spec.content_types)}", code="UNSUPPORTED_MEDIA_TYPE"
        )
    if mimetype != "application/json":
        # Multipart and friends: the handler reads request.files itself; the text parts and the
        # file names are checked here like any other string.
        check_text(request.form.items(multi=True), where="form")
        check_text(((f.name or "", f.filename or "") for f in request.files.values()),
                   where="file")
        return None
    try:
        data = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("request body is not valid JSON", code="MALFORMED_JSON") from None
    except RecursionError:
        raise _too_deep() from None
    _check_document(data)
    return data if model is None else _validate(model, data)


# --- what client input may contain --------------------------------------------------------------

#: Deepest JSON nesting a body may have; every request model is far shallower.
MAX_JSON_DEPTH = 32
#: NUL (PostgreSQL text cannot hold it) and lone UTF-16 surrogates (not encodable as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: Path parameters that name a row by uuid, with the code of the 404 for one that names nothing.
#: An owner parameter always names a profile. Canonicalised before anything reads them, so a
#: spelling `uuid.UUID` takes and PostgreSQL does not (`urn:uuid:...`, braces) cannot reach SQL.
UUID_PARAMS = {
    "profileId": "USER_NOT_FOUND",
    "borrowerId": "USER_NOT_FOUND",
    "kycId": "KYC_NOT_FOUND",
    "commandId": "COMMAND_NOT_FOUND",
}


def check_text(pairs: Any, *, where: str) -> None:
    """400 when any (name, value) string holds a character no column can store."""
    for name, value in pairs:
        if _UNSTORABLE.search(name) or _UNSTORABLE.search(value):
            raise BadRequest(f"{where} parameter {name!r} contains a NUL byte or a lone surrogate",
                             code="INVALID_CHARACTERS")


def _canonical_params(spec: Any, params: dict[str, str]) -> None:
    """Path parameters in the one spelling the services and SQL expect (in place)."""
    for name, value in params.items():
        code = "USER_NOT_FOUND" if name == spec.owner_param else UUID_PARAMS.get(name)
        canonical = api.as_uuid(value) if code is not None else value
        if canonical is None or _UNSTORABLE.search(canonical):
            raise NotFound(f"no {name} {value!r}", code=code or "RESOURCE_NOT_FOUND")
        params[name] = canonical


def _check_document(data: Any) -> None:
    """Walk a parsed JSON body once (iteratively): bounded depth, only storable strings."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, str):
            if _UNSTORABLE.search(node):
                raise ValidationFailed("request validation failed", errors=[{
                    "field": path or "(body)", "type": "string_unstorable",
                    "message": "contains a NUL byte or a lone surrogate"}])
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(node, dict):
            for key, value in node.items():
                stack.append((key, depth, path))
                stack.append((value, depth + 1, f"{path}.{key}" if path else key))
        else:
            stack.extend((v, depth + 1, f"{path}.{i}" if path else str(i))
                         for i, v in enumerate(node))


def _too_deep() -> BadRequest:
    return BadRequest(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", code="JSON_TOO_DEEP")


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(exc) from None


def validation_failed(exc: ValidationError) -> ValidationFailed:
    errors = [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "(body)",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]
    return ValidationFailed("request validation failed", errors=errors)


def operational_response(request: flask.Request) -> flask.Response | None:
    """GET /health, /ready (and /livez, /readyz, the Kubernetes spellings of the same probes):
    answered by every function and by the dev gateway. /metrics is not here: it has its own port
    (`shared.observability.start_metrics_server`)."""
    if request.method != "GET":
        return None
    if request.path in ("/health", "/livez"):
        return json_response({"status": "ok"}, 200)
    if request.path in ("/ready", "/readyz"):
        from shared.health import readiness

        ready, checks = readiness()
        return json_response(
            {"status": "ready" if ready else "not_ready", "checks": checks}, 200 if ready else 503
        )
    return None


# --- replies ----------------------------------------------------------------------------------


def dumps(payload: Any, audiences: frozenset[str] = frozenset({api.PUBLIC})) -> bytes:
    """The JSON of a reply; fields of a reply model that `audiences` may not see are left out."""
    if isinstance(payload, BaseModel):
        hidden = api.hidden_fields(type(payload), audiences)
        return payload.model_dump_json(by_alias=True, exclude=hidden).encode()
    # A plain reply may hold reply models too: they are rendered for the same audiences.
    default = functools.partial(_default, audiences=audiences)
    return json.dumps(payload, separators=(",", ":"), default=default).encode()


def _default(value: Any, audiences: frozenset[str] = frozenset({api.PUBLIC})) -> Any:
    if isinstance(value, BaseModel):
        hidden = api.hidden_fields(type(value), audiences)
        return value.model_dump(mode="json", by_alias=True, exclude=hidden)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(
    payload: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    audiences: frozenset[str] = frozenset({api.PUBLIC}),
) -> flask.Response:
    return flask.Response(
        dumps(payload, audiences), status, headers=headers, mimetype="application/json"
    )


def to_response(
    reply: Reply, *, default_status: int = 200, audiences: set[str] | frozenset[str] | None = None
) -> flask.Response:
    """A handler's reply as a response; reply-model fields outside `audiences` (default: the
    public) are left out."""
    if isinstance(reply, flask.Response):
        return reply
    headers: dict[str, str] | None = None
    status = default_status
    if isinstance(reply, tuple):
        payload, status, *rest = reply
        headers = rest[0] if rest else None
    else:
        payload = reply
    if payload is None and status == 204:
        return flask.Response(status=204, headers=headers)
    return json_response(payload, status, headers, frozenset(audiences or (api.PUBLIC,)))


def problem(exc: GXError, *, instance: str, request_id: str) -> tuple[dict[str, Any], int]:
    status = status_for(exc)
    body: dict[str, Any] = {
        "type": f"https://errors.gxcoin.org/{exc.code.lower().replace('_', '-')}",
        "title": exc.title,
        "status": status,
        "detail": exc.message,
        "instance": instance,
        "code": exc.code,
        "requestId": request_id,
    }
    if isinstance(exc, ValidationFailed) and exc.errors:
        body["errors"] = exc.errors
    for k, v in exc.fields.items():
        body.setdefault(k, v)
    return body, status


def problem_response(exc: BaseException, request: flask.Request, request_id: str) -> flask.Response:
    if isinstance(exc, ValidationError):
        exc = validation_failed(exc)
    elif isinstance(exc, RequestEntityTooLarge):
        exc = PayloadTooLarge("request body too large")
    elif isinstance(exc, HTTPException):
        exc = _from_werkzeug(exc)
    if not isinstance(exc, GXError):
        log.exception("request.unhandled", path=request.path, method=request.method)
        body = {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "an unexpected error occurred; quote the request id to support",
            "instance": request.path,
            "code": "INTERNAL",
            "requestId": request_id,
        }
        return flask.Response(dumps(body), 500, mimetype=PROBLEM_JSON)
    body, status = problem(exc, instance=request.path, request_id=request_id)
    if status >= 500:
        log.warning("request.unavailable", code=exc.code, detail=exc.message)
    return flask.Response(dumps(body), status, mimetype=PROBLEM_JSON)


def _from_werkzeug(exc: HTTPException) -> GXError:
    status = exc.code or 400
    for cls, st in _STATUS:
        if st == status and cls is not MethodNotAllowed:
            return cls(exc.description or cls.title)
    return BadRequest(exc.description or "bad request")


def _finish(
    response: flask.Response, request: flask.Request, extra: dict[str, str], authenticated: bool
) -> None:
    headers = response.headers
    # One pass over what the reply already has, then appends: werkzeug's setdefault and
    # __setitem__ each scan the whole header list (was ~50 us a request in the profile).
    present = {k.lower() for k in headers.keys()}  # noqa: SIM118 - iterating Headers yields pairs
    for k, v in HARDENING_HEADERS.items():
        if k.lower() not in present:
            headers.add(k, v)
    for k, v in extra.items():
        if k.lower() in present:
            headers[k] = v
        else:
            headers.add(k, v)
    if authenticated or request.headers.get("Authorization"):
        headers["Cache-Control"] = "no-store"
    origin = request.headers.get("Origin")
    if origin and origin in get_settings().origins:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
        headers["Access-Control-Allow-Headers"] = (
            "Authorization, Content-Type, Idempotency-Key, X-Idempotency-Key, X-Request-Id"
        )
        headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        headers["Access-Control-Expose-Headers"] = (
            "Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
            "Idempotent-Replayed, X-Request-Id"
        )
        headers["Access-Control-Max-Age"] = "600"


def _request_id(request: flask.Request) -> str:
    given = request.headers.get("X-Request-Id", "")
    if 8 <= len(given) <= 64 and all(c.isalnum() or c in "-_" for c in given):
        return given
    return new_request_id()
