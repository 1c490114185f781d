"""Posting CloudEvents to a sink (the broker ingress): binary content mode, retried with capped
exponential backoff and jitter until acknowledged (2xx). Used by the chain listener (its K_SINK)
and by the dead-letter replay (GX_BROKER_URL)."""

from __future__ import annotations

import functools
import random
import time
from typing import Protocol

from urllib3 import PoolManager, Timeout
from urllib3.exceptions import HTTPError

from shared.events.cloudevent import CloudEvent, to_http


class SinkUnavailable(Exception):
    """The sink did not acknowledge after every retry; the event stays unpublished."""


class SinkRejected(Exception):
    """The sink refused this event as malformed: retrying the same bytes cannot help."""


# Only answers about the event itself are final. Anything else (404 or 401 from a misconfigured
# URL, 429, 5xx, no answer) is retried and, if it lasts, halts the stream rather than
# dead-lettering every event.
_REJECTED = frozenset({400, 413, 415, 422})


class Sink(Protocol):
    def send(self, event: CloudEvent) -> None:
        """Deliver one event; return only once the sink acknowledged it."""


class HttpSink:
    """POSTs CloudEvents (binary content mode) to a broker ingress URL, with retries."""

    def __init__(
        self,
        url: str,
        *,
        attempts: int = 8,
        base_delay: float = 0.1,
        max_delay: float = 5.0,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        # Up to 8 sends in flight (the chain listener publishes a batch concurrently).
        self._http = PoolManager(num_pools=2, maxsize=8, retries=False)

    def send(self, event: CloudEvent) -> None:
        headers, body = to_http(event)
        last = "no attempt"
        for attempt in range(self.attempts):
            try:
                resp = self._http.request(
                    "POST", self.url, headers=headers, body=body,
                    timeout=Timeout(total=self.timeout),
                )
            except HTTPError as exc:
                last = type(exc).__name__
            else:
                if 200 <= resp.status < 300:
                    return
                if resp.status in _REJECTED:
                    text = resp.data[:300].decode("utf-8", "replace")
                    raise SinkRejected(f"sink answered {resp.status}: {text}")
                last = f"HTTP {resp.status}"
            delay = min(self.max_delay, self.base_delay * 2**attempt)
            time.sleep(delay * (0.5 + random.random() / 2))
        raise SinkUnavailable(f"sink {self.url} did not acknowledge after {self.attempts} attempts: {last}")


@functools.cache
def broker_sink() -> HttpSink:
    """The broker ingress of this deployment (GX_BROKER_URL), a few quick retries."""
    from shared.config import get_settings

    return HttpSink(get_settings().require("broker_url"), attempts=4)
