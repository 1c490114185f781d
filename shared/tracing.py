"""One trace per command: the W3C `traceparent` of the request that accepted it follows the
command through the outbox row, the CloudEvents distributed-tracing extension (`traceparent`
attribute) of `command.enqueued` and of the chain event of its transaction, the submitter and the
projector. Every step logs the trace id (JSON logs, always); with GX_OTLP_ENDPOINT set, each step
is also an OpenTelemetry span of that trace, exported over OTLP/HTTP (off by default).

| step | where | log event | span |
|---|---|---|---|
| accept | shared.http (the request) | every line of the request (`trace_id`) | Flask server span |
| submit | shared.outbox.submit | `outbox.submitted` | `outbox.submit` |
| publish | shared.chain.listener | `chain.event_published` | `chain.publish` |
| project | shared.events.projector | `projected` | `project <function>` |
"""

from __future__ import annotations

import contextlib
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import structlog

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

_lock = threading.Lock()
_tracer: Any = None  # the OpenTelemetry tracer once configured; None = spans off
_configured = False


def valid(traceparent: str | None) -> bool:
    return bool(traceparent and _TRACEPARENT.match(traceparent))


def trace_id_of(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


def child_of(traceparent: str) -> str:
    """The same trace, a new span id (what a step passes on to the next)."""
    match = _TRACEPARENT.match(traceparent)
    if not match:
        raise ValueError("not a traceparent")
    return f"00-{match.group(1)}-{secrets.token_hex(8)}-{match.group(3)}"


def current_traceparent() -> str | None:
    """The traceparent of the request (or step) this thread is handling, if any."""
    value = structlog.contextvars.get_contextvars().get("traceparent")
    return value if isinstance(value, str) and valid(value) else None


# --- OpenTelemetry (GX_OTLP_ENDPOINT) -------------------------------------------------------


def configure(exporter: Any = None) -> bool:
    """Set up the tracer provider once per process: OTLP/HTTP to GX_OTLP_ENDPOINT, or `exporter`
    (a test's in-process one). False (and spans off) when neither is given."""
    global _tracer, _configured
    with _lock:
        if _configured and exporter is None:
            return _tracer is not None
        from shared.config import get_settings

        endpoint = get_settings().otlp_endpoint
        if exporter is None and not endpoint:
            _configured = True
            return False
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": "gx-functions"}))
        if exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces"))
            )
        _tracer = provider.get_tracer("gx-functions")
        _provider[0] = provider
        trace.set_tracer_provider(provider)  # first call wins; ours is used explicitly anyway
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        with contextlib.suppress(Exception):  # already instrumented by an earlier configure
            PsycopgInstrumentor().instrument(tracer_provider=provider)
        _configured = True
        return True


_provider: list[Any] = [None]


def instrument_app(app: Any) -> Any:
    """Flask server spans for one function's app, when tracing is on."""
    if configure():
        from opentelemetry.instrumentation.flask import FlaskInstrumentor

        FlaskInstrumentor.instrument_app(app, tracer_provider=_provider[0])
    return app


def request_traceparent() -> str | None:
    """With spans on and a Flask server span active: its traceparent, so the JSON logs, the
    reply's header, the outbox row and the spans all name one trace."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


@contextlib.contextmanager
def step(name: str, traceparent: str | None, **attributes: Any) -> Iterator[str | None]:
    """Run one pipeline step inside the trace of `traceparent`: the trace id is bound to the
    log context, and with spans on a span `name` (child of it) is open. Yields the traceparent
    to hand on (the span's own, or a child id), or None without a trace."""
    if not valid(traceparent):
        yield None
        return
    assert traceparent is not None
    trace_id = trace_id_of(traceparent)
    with structlog.contextvars.bound_contextvars(trace_id=trace_id, traceparent=traceparent):
        if _tracer is None:
            yield child_of(traceparent)
            return
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        parent = TraceContextTextMapPropagator().extract({"traceparent": traceparent})
        with _tracer.start_as_current_span(
            name, context=parent,
            attributes={k: str(v) for k, v in attributes.items() if v is not None},
        ) as span:
            ctx = span.get_span_context()
            yield f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
