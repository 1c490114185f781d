"""The dev gateway: every registered function behind one WSGI app, as Knative would run each.

Each function gets its own `functions_framework.create_app(target, source, signature)` app
(exactly what its Knative Service runs); the gateway only picks which one a request goes to:

    http_app    METHOD /api/v1/...  -> the HTTP function registered for that route (HTTPRoute)
                GET /health, /ready, /metrics answered here; unknown path 404, known path with
                another method 405 + Allow (problem+json, the functions' envelope)
    events_app  POST /<function>    -> that CloudEvent function (the broker's subscriber URL);
                served on 127.0.0.1 only: event functions are cluster-internal in Knative

Apps are built lazily, once per process (gunicorn imports this module before forking, and
functions open pools and clients lazily per process; DESIGN.md §6).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import flask

from shared.errors import MethodNotAllowed, NotFound
from shared.http import (
    HARDENING_HEADERS,
    operational_response,
    problem_response,
)
from shared.observability import bind_request, get_logger, new_request_id, trace_context

log = get_logger(__name__)

#: Where `functions/` lives: FunctionSpec.source is relative to it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]



def function_app(spec: Any, root: Path = PROJECT_ROOT) -> flask.Flask:
    """The functions-framework app of one function, as its Knative Service runs it."""
    from functions_framework import create_app

    signature = "http" if spec.kind == "http" else "cloudevent"
    app: flask.Flask = create_app(  # type: ignore[no-untyped-call]
        spec.name, str(root / spec.source), signature
    )
    from shared.tracing import instrument_app

    return instrument_app(app)


def _route_order(spec: Any) -> tuple[int, int]:
    # A literal segment beats a parameter: /users/me before /users/{id}.
    return (len(spec.path_params), -len(spec.path or ""))


_PREFIX_SEGMENTS = 3  # "/api/v1/<resource>": what tells most routes apart


def _prefix(path: str) -> str | None:
    """The first segments of a path, or None when one of them is a path parameter."""
    head = path.split("/", _PREFIX_SEGMENTS + 1)[: _PREFIX_SEGMENTS + 1]
    if any("{" in part for part in head):
        return None
    return "/".join(head)


def _health_reply(start_response: Callable[..., Any]) -> list[bytes]:
    """GET /health without Flask: probes hit it constantly and it needs nothing of a request.
    The same body and headers as every other gateway reply."""
    start_response("200 OK", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(_HEALTH_BODY))),
        *HARDENING_HEADERS.items(), ("X-Request-Id", new_request_id()),
    ])
    return [_HEALTH_BODY]


_HEALTH_BODY = b'{"status":"ok"}'


class Gateway:
    """Routes requests to per-function apps; `specs` and `root` are injectable for tests."""

    def __init__(self, specs: Iterable[Any], *, root: Path = PROJECT_ROOT) -> None:
        self.specs = tuple(specs)
        self.root = root
        self.http_specs = sorted((s for s in self.specs if s.kind == "http"), key=_route_order)
        # Candidates per path prefix, in route order: a request is matched against the few
        # routes that share its first segments instead of every route (was ~3 % of a read).
        anywhere = [s for s in self.http_specs if _prefix(s.path or "") is None]
        by_prefix: dict[str, list[Any]] = {}
        for spec in self.http_specs:
            prefix = _prefix(spec.path or "")
            if prefix is not None:
                by_prefix.setdefault(prefix, []).append(spec)
        self._candidates = {
            prefix: tuple(sorted(specs + anywhere, key=self.http_specs.index))
            for prefix, specs in by_prefix.items()
        }
        self._anywhere = tuple(anywhere)
        self.event_specs = {s.name: s for s in self.specs if s.kind == "cloudevent"}
        self._apps: dict[str, flask.Flask] = {}
        self._lock = threading.Lock()
        self._own = self._build_own_app()

    # --- apps ---------------------------------------------------------------------------------

    def app(self, spec: Any) -> flask.Flask:
        found = self._apps.get(spec.name)
        if found is None:
            # create_app loads the module and touches sys.modules / sys.path: one at a time.
            with self._lock:
                found = self._apps.get(spec.name)
                if found is None:
                    found = self._apps[spec.name] = function_app(spec, self.root)
        return found

    def warm(self, kind: str | None = None) -> None:
        """Build every app now (after fork, before the first request) so none pays a cold start.

        A function that fails to load is logged and skipped: its own route answers 500 (and
        retries the load), every other function keeps serving, as with separate Services.
        """
        for spec in self.specs:
            if kind is None or spec.kind == kind:
                self._load(spec)

    def _load(self, spec: Any) -> flask.Flask | None:
        try:
            return self.app(spec)
        except Exception:
            log.exception("gateway.function_load_failed", function=spec.name, source=spec.source)
            return None

    # --- routing ------------------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[Any | None, list[str]]:
        """(the spec serving METHOD path, or None; every method registered for the path)."""
        allowed: list[str] = []
        chosen = None
        # A spec's literal prefix equals the request's own when it matches (the pattern is
        # anchored), so only those candidates (and prefix-parameter routes) can match.
        head = "/".join(path.split("/", _PREFIX_SEGMENTS + 1)[: _PREFIX_SEGMENTS + 1])
        candidates = self._candidates.get(head, self._anywhere)
        for spec in candidates:
            if spec.match(path) is None:
                continue
            if spec.method not in allowed:
                allowed.append(spec.method)
            if chosen is None and spec.method == method:
                chosen = spec
        if chosen is None and method == "OPTIONS" and allowed:
            # CORS preflight: the function's own pipeline answers it (shared.http).
            chosen = next(s for s in candidates if s.match(path) is not None)
        return chosen, allowed

    def http_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path in ("/health", "/livez") and method == "GET":
            return _health_reply(start_response)
        spec, allowed = self.route(method, path)
        if spec is not None:
            app = self._load(spec)
            if app is not None:
                return app(environ, start_response)
            environ["gx.broken"] = spec.name
        environ["gx.allowed"] = allowed
        return self._own(environ, start_response)

    def events_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = (environ.get("PATH_INFO") or "/").strip("/")
        spec = self.event_specs.get(path)
        if spec is not None:
            app = self._load(spec)
            if app is not None:
                return app(environ, start_response)
            environ["gx.broken"] = spec.name
        environ["gx.allowed"] = []
        environ["gx.events"] = True
        return self._own(environ, start_response)

    # --- what the gateway answers itself --------------------------------------------------------

    def _build_own_app(self) -> flask.Flask:
        app = flask.Flask("gx-gateway")

        @app.route("/", defaults={"path": ""}, methods=_ALL_METHODS)
        @app.route("/<path:path>", methods=_ALL_METHODS)
        def own(path: str) -> flask.Response:
            request = flask.request
            request_id = new_request_id()
            trace_id, traceparent = trace_context(request.headers.get("traceparent"))
            bind_request(request_id=request_id, trace_id=trace_id, function="gateway")
            response = operational_response(request)
            if response is None and request.environ.get("gx.broken"):
                # A generic 500 as the endpoint pipeline gives: the cause is in the log only.
                response = problem_response(RuntimeError("function failed to load"), request,
                                            request_id)
            if response is None:
                allowed: list[str] = request.environ.get("gx.allowed", [])
                exc: Exception
                if allowed:
                    exc = MethodNotAllowed(
                        f"{request.method} is not allowed here", allow=[*allowed, "OPTIONS"]
                    )
                elif request.environ.get("gx.events"):
                    exc = NotFound(f"no event function at {request.path}", code="ROUTE_NOT_FOUND")
                else:
                    exc = NotFound(f"no route for {request.path}", code="ROUTE_NOT_FOUND")
                response = problem_response(exc, request, request_id)
                if allowed:
                    response.headers["Allow"] = ", ".join([*allowed, "OPTIONS"])
            for k, v in HARDENING_HEADERS.items():
                response.headers.setdefault(k, v)
            response.headers["X-Request-Id"] = request_id
            response.headers["traceparent"] = traceparent
            return response

        return app


_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]



# --- the gunicorn entry points --------------------------------------------------------------

_default: Gateway | None = None
_default_lock = threading.Lock()


def default_gateway() -> Gateway:
    """The gateway over the real registry, built on first use in this process."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                from knative.registry import FUNCTIONS

                _default = Gateway(FUNCTIONS)
    return _default


def http_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    """`gunicorn shared.runtime.gateway:http_app`: the public port."""
    return default_gateway().http_app(environ, start_response)  # type: ignore[no-any-return]


def events_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    """`gunicorn shared.runtime.gateway:events_app`: the broker's subscriber URLs."""
    return default_gateway().events_app(environ, start_response)  # type: ignore[no-any-return]
