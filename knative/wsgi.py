"""The image's WSGI entry: the functions-framework app of one function, as Knative runs it.

gunicorn (knative/gunicorn.conf.py) serves `create()`, which builds exactly what
`functions_framework.create_app` builds for FUNCTION_TARGET / FUNCTION_SOURCE /
FUNCTION_SIGNATURE_TYPE. HTTP functions answer /health and /ready through the `endpoint`
pipeline; a CloudEvent app only routes POST, so for those this module adds the same two GET
routes, which the Knative probes need. /metrics is served on its own port by the gunicorn master
(knative/gunicorn.conf.py), never on the port the gateway routes to.
"""

from __future__ import annotations

from typing import Any

import flask
import werkzeug.exceptions
from functions_framework import create_app


def _routes_get(app: flask.Flask, path: str) -> bool:
    try:
        app.url_map.bind("localhost").match(path, method="GET")
    except (werkzeug.exceptions.MethodNotAllowed, werkzeug.exceptions.NotFound):
        return False
    return True


def _health() -> flask.Response:
    from shared.http import json_response

    return json_response({"status": "ok"}, 200)


def _ready() -> flask.Response:
    from shared.health import readiness
    from shared.http import json_response

    ready, checks = readiness()
    return json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks}, 200 if ready else 503
    )


def with_operational_routes(app: flask.Flask) -> flask.Flask:
    for path, view in (("/health", _health), ("/livez", _health), ("/ready", _ready),
                       ("/readyz", _ready)):
        if not _routes_get(app, path):
            app.add_url_rule(
                path, endpoint=f"gx{path.replace('/', '_')}", view_func=view, methods=["GET"]
            )
    app.after_request(_traced)
    return app


def _traced(response: flask.Response) -> flask.Response:
    """Every reply continues (or starts) the caller's trace, errors and probes included."""
    from shared.observability import trace_context

    if "traceparent" not in response.headers:
        response.headers["traceparent"] = trace_context(flask.request.headers.get("traceparent"))[1]
    return response


def create(
    target: str | None = None, source: str | None = None, signature_type: str | None = None
) -> Any:
    """The app; arguments default to the FUNCTION_* variables (functions-framework reads them)."""
    from shared.tracing import instrument_app

    return with_operational_routes(instrument_app(create_app(target, source, signature_type)))
