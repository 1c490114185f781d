"""Best-effort emit of one CloudEvent to the broker ingress (GX_BROKER_URL), binary content mode.

For nudges whose loss is covered by something durable: the command endpoint emits
`command.enqueued` after committing the outbox row, and the PingSource-driven sweep claims
whatever a lost nudge left behind. So `publish` never raises on a network or broker failure and
never retries: it answers True when the broker acknowledged (2xx) within a short timeout
(GX_PUBLISH_TIMEOUT_S), False otherwise, and a request thread is never held up for long.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from urllib3 import PoolManager, Timeout
from urllib3.exceptions import HTTPError

from shared.config import get_settings
from shared.observability import get_logger

log = get_logger(__name__)

_lock = threading.Lock()
_pools: dict[int, PoolManager] = {}
_EXTENSION_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _pool() -> PoolManager:
    # One pool per process: sockets must not be shared across gunicorn's fork.
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        with _lock:
            pool = _pools.setdefault(pid, PoolManager(num_pools=2, maxsize=8, retries=False))
    return pool


def binary_headers(
    *,
    event_type: str,
    source: str,
    event_id: str,
    time: datetime,
    subject: str | None = None,
    extensions: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The HTTP headers of a binary-mode CloudEvent 1.0 with JSON data."""
    headers = {
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-source": source,
        "ce-type": event_type,
        "ce-time": time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "content-type": "application/json",
    }
    if subject:
        headers["ce-subject"] = subject
    for name, value in (extensions or {}).items():
        # CloudEvents 1.0: extension names are lower-case letters and digits only.
        if not name or not set(name) <= _EXTENSION_NAME or name in ("data", "specversion"):
            raise ValueError(f"invalid CloudEvent extension name {name!r}")
        headers[f"ce-{name}"] = str(value)
    return headers


def publish(
    event_type: str,
    data: Any,
    *,
    source: str,
    event_id: str | None = None,
    subject: str | None = None,
    extensions: Mapping[str, str] | None = None,
    url: str | None = None,
    timeout_s: float | None = None,
) -> bool:
    """Post one event to the broker; True if it was acknowledged. Never raises on delivery failure.

    `event_id` should be stable for the fact being announced (for example the command id), so a
    consumer that sees it twice can tell; a random one is used when omitted.
    """
    settings = get_settings()
    target = url or settings.broker_url
    event_id = event_id or str(uuid.uuid4())
    if not target:
        log.warning("publish.no_broker", type=event_type, event_id=event_id)
        return False
    headers = binary_headers(
        event_type=event_type, source=source, event_id=event_id,
        time=datetime.now(UTC), subject=subject, extensions=extensions,
    )
    body = json.dumps(data, separators=(",", ":"), default=str).encode()
    timeout = timeout_s if timeout_s is not None else settings.publish_timeout_s
    try:
        response = _pool().request(
            "POST", target, body=body, headers=headers,
            timeout=Timeout(connect=timeout, read=timeout), redirect=False,
        )
    except (HTTPError, OSError) as exc:
        log.warning("publish.failed", type=event_type, event_id=event_id, error=type(exc).__name__)
        return False
    if 200 <= response.status < 300:
        return True
    log.warning("publish.rejected", type=event_type, event_id=event_id, status=response.status)
    return False
