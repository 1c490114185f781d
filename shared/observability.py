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
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_configured = False

# --- redaction: what must never reach a log line ------------------------------------------------

#: Secret shapes and database row dumps, each with what is written instead. A database error's
#: DETAIL (and its "Failing row contains (...)" / "Key (...)=(...)") can carry any column of the
#: row: emails, password hashes, dates of birth; the primary message names only the constraint.
_REDACTIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
     "[private key]"),
    (re.compile(r"\$argon2(?:id|i|d)\$[^\s\"',)]*"), "[password hash]"),
    (re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}"), "[password hash]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[token]"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [token]"),
    (re.compile(r"(?i)((?:password|passwd|secret|token|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)"
                r"[^\s\"',}&]+"), r"\1[redacted]"),
    (re.compile(r"(\w+://[^/:@\s]+:)[^@\s/]+@"), r"\1[redacted]@"),
    (re.compile(r"(?m)^\s*DETAIL:.*$"), "DETAIL: [redacted]"),
    (re.compile(r"(?m)Failing row contains .*$"), "Failing row contains [redacted]"),
    (re.compile(r"Key \((.*?)\)=\(.*?\)"), r"Key (\1)=[redacted]"),
]


def redact(text: str) -> str:
    """`text` with every secret shape and database row dump replaced."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _redact_event(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: redact every string of the event (after exceptions are formatted)."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact(value)
        elif isinstance(value, (list, tuple, dict)):
            event[key] = _redact_value(value)
    return event


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(v) for v in value]
    return value


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written (a redirect or a test's capture applies)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class RedactingFormatter(logging.Formatter):
    """For the standard library's loggers (gunicorn, psycopg's pool, werkzeug): same redaction."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str | None = None) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    lvl = getattr(logging, (level or os.environ.get("GX_LOG_LEVEL", "INFO")).upper(), logging.INFO)
    logging.basicConfig(stream=sys.stderr, level=lvl, format="%(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter("%(message)s"))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact_event,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=True,
    )


def get_logger(name: str | None = None) -> Any:
    configure_logging()
    return structlog.get_logger(name) if name else structlog.get_logger()


def new_request_id() -> str:
    return secrets.token_hex(8)


def trace_context(traceparent: str | None) -> tuple[str, str]:
    """(trace id, traceparent to propagate): continue the caller's trace or start a new one.
    With OpenTelemetry spans on, the request's server span has already done so: its ids win."""
    from shared.tracing import request_traceparent

    server = request_traceparent()
    if server is not None:
        return server[3:35], server
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
# Money as the read side projects it (shared/readmodels/accounts.post): history rows by kind,
# and the Qirat each kind moved. Counted when the projection runs; a projection whose transaction
# then rolls back and is redelivered counts again, so these are for rates on dashboards, never
# for accounting (the ledger and the read models are the books).
MONEY_ENTRIES = Counter(
    "gx_money_entries_total", "Account history rows projected, by kind (SENT, FEE, ...)", ["kind"]
)
MONEY_QIRAT = Counter(
    "gx_money_qirat_total", "Qirat moved by projected history rows (absolute), by kind", ["kind"]
)
# The listener's heartbeat: `time() - this` grows while it is stopped, hung or cannot poll.
# `max`: a restarted listener (a new pid) takes over from its predecessor's last value.
LISTENER_LAST_POLL = Gauge(
    "gx_chain_listener_last_poll_timestamp_seconds",
    "Unix time of the chain listener's last successful poll of the ledger",
    multiprocess_mode="max",
)
# `livemax`: a process that died with its breaker open must not hold the gauge at 1 forever.
LEDGER_CIRCUIT_OPEN = Gauge(
    "gx_ledger_circuit_open",
    "1 while the ledger circuit breaker fails calls fast (open or half-open), else 0",
    multiprocess_mode="livemax",
)
LEDGER_CIRCUIT_OPENED = Counter(
    "gx_ledger_circuit_opened_total", "Times the ledger circuit breaker opened"
)
RATELIMIT_REDIS_DOWN = Counter(
    "gx_ratelimit_redis_unavailable_total",
    "Rate-limit checks made without Redis: policy open = let through, closed = refused (503)",
    ["limiter", "policy"],
)


def start_metrics_server(port: int, host: str = "0.0.0.0") -> bool:
    """Serve /metrics on its own port from a daemon thread of this process (a gunicorn master:
    in multi-process mode it aggregates every worker's files). The public port never answers
    /metrics: the numbers describe the system, not anything a client may see. False when the
    port cannot be bound (logged; the service itself keeps running)."""
    if not port:
        return False
    from prometheus_client import start_http_server

    registry = _registry()
    from shared.config import get_settings

    if get_settings().pipeline_metrics:
        from shared import pipeline_metrics

        pipeline_metrics.register(registry)
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        get_logger(__name__).error("metrics.port_unavailable", port=port, error=str(exc))
        return False
    return True


def _registry() -> CollectorRegistry:
    """Every process's metrics in multi-process mode (PROMETHEUS_MULTIPROC_DIR), else this one's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY
