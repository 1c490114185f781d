"""Structured JSON logs (structlog) with request id and W3C traceparent; Prometheus metrics.

Metrics are per function (`function` label = the target name). Under gunicorn with several
workers, set PROMETHEUS_MULTIPROC_DIR (the dev runner does) so /metrics aggregates all workers.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
from typing import Any

import structlog
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_configured = False


def configure_logging(level: str | None = None) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    lvl = getattr(logging, (level or os.environ.get("GX_LOG_LEVEL", "INFO")).upper(), logging.INFO)
    logging.basicConfig(stream=sys.stderr, level=lvl, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def get_logger(name: str | None = None) -> Any:
    configure_logging()
    return structlog.get_logger(name) if name else structlog.get_logger()


def new_request_id() -> str:
    return secrets.token_hex(8)


def trace_context(traceparent: str | None) -> tuple[str, str]:
    """(trace id, traceparent to propagate): continue the caller's trace or start a new one."""
    match = _TRACEPARENT.match(traceparent or "")
    trace_id = match.group(1) if match else secrets.token_hex(16)
    flags = match.group(3) if match else "01"
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def bind_request(**values: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**values)


# --- metrics -------------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "gx_http_requests_total", "HTTP requests handled", ["function", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "gx_http_request_duration_seconds",
    "HTTP request latency",
    ["function"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
HTTP_ERRORS = Counter("gx_http_errors_total", "HTTP error responses", ["function", "code"])
EVENTS_HANDLED = Counter(
    "gx_events_handled_total", "CloudEvents handled", ["function", "type", "outcome"]
)
PROJECTION_LAG = Gauge(
    "gx_projection_lag_blocks", "Ledger height minus contiguous projected height",
    multiprocess_mode="max",
)


def metrics_payload() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
