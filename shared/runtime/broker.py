"""The dev broker: Knative Broker + Trigger semantics in one process, durable in PostgreSQL.

    POST <ingress>  (binary or structured CloudEvent)          -> 202 once stored, 400 if invalid
        one `broker_deliveries` row per subscribed function, all in one transaction
    delivery workers: claim a due row (FOR UPDATE SKIP LOCKED + lease token), POST it in binary
        mode to the events gateway at <events_url>/<function>
        2xx -> row deleted; 404/409/429/5xx/network error -> retried with backoff;
        other 4xx, or retries exhausted -> moved to event_dead_letters (source 'broker')
    PingSource timer: for each registry entry with a `schedule`, a `dev.knative.sources.ping`
        event delivered to that function only (a PingSource sinks straight into its Service)

Matching is a Trigger filter: exact equality on `type`, one Trigger per type in
`spec.event_types`. Delivery is at least once and unordered, as with Knative: a worker that dies
mid-delivery leaves its row leased, and it becomes due again when the lease runs out (at once
when it was the whole broker process that died: `gx dev` restarts it, and it redelivers). Retries
follow Knative's delivery spec (`retry`, `backoffPolicy`, `backoffDelay`) and its retry rule
(kncloudevents `checkRetry`: 404, 409, 429, 5xx and network errors are retried).
"""

from __future__ import annotations

import base64
import json
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import flask
from psycopg.types.json import Jsonb
from urllib3 import PoolManager, Timeout
from urllib3.exceptions import HTTPError
from werkzeug.exceptions import RequestEntityTooLarge

from shared import db
from shared.config import Settings, get_settings
from shared.events import deadletters
from shared.observability import get_logger
from shared.runtime.cron import Cron

log = get_logger(__name__)

PING_TYPE = "dev.knative.sources.ping"
REQUIRED = ("id", "source", "type", "specversion")
STRUCTURED = "application/cloudevents+json"
_RETRYABLE = frozenset({404, 409, 429})
_IDLE_POLL_S = 1.0
_DELETE = "DELETE FROM broker_deliveries WHERE id = %s AND lease_token = %s"
# Delete what the worker just delivered, claim the next due row (oldest first, skipping rows
# other workers hold) and, when none is due, say how long until one is: one statement.
_CLAIM = """
WITH delivered AS (
    DELETE FROM broker_deliveries WHERE id = %(done_id)s AND lease_token = %(done_token)s
), claimed AS (
    UPDATE broker_deliveries d SET lease_token = %(token)s,
        due_at = now() + make_interval(secs => %(lease)s)
    WHERE d.id = (SELECT id FROM broker_deliveries WHERE due_at <= now()
                  ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING d.id, d.subscriber, d.event_id, d.event_type, d.headers, d.body, d.attempts
)
SELECT c.*, NULL::float8 AS wait FROM claimed c
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, EXTRACT(EPOCH FROM next_due - now())::float8
FROM (SELECT min(due_at) AS next_due FROM broker_deliveries) due
WHERE NOT EXISTS (SELECT 1 FROM claimed)
"""


class InvalidEvent(ValueError):
    """The request is not a CloudEvent the broker can accept (answered with 400)."""


@dataclass(frozen=True)
class Envelope:
    """One CloudEvent as the broker stores and delivers it: binary-mode headers and body."""

    id: str
    type: str
    headers: dict[str, str]
    body: bytes

    @property
    def attributes(self) -> dict[str, str]:
        return {k[3:]: v for k, v in self.headers.items() if k.startswith("ce-")}


def parse_event(headers: Mapping[str, str], body: bytes) -> Envelope:
    """A binary or structured HTTP CloudEvent as binary-mode headers; InvalidEvent otherwise."""
    lower = {k.lower(): v for k, v in headers.items()}
    content_type = lower.get("content-type", "")
    if content_type.split(";")[0].strip() == STRUCTURED:
        out, body = _from_structured(body)
    elif content_type.startswith("application/cloudevents-batch"):
        raise InvalidEvent("batched CloudEvents are not accepted")
    else:
        out = {k: v for k, v in lower.items() if k.startswith("ce-")}
        if content_type:
            out["content-type"] = content_type
    for k in ("traceparent", "tracestate"):
        if k in lower:
            out[k] = lower[k]
    missing = [a for a in REQUIRED if not out.get(f"ce-{a}", "").strip()]
    if missing:
        raise InvalidEvent(f"missing CloudEvent attributes: {', '.join(missing)}")
    if out["ce-specversion"] != "1.0":
        raise InvalidEvent(f"unsupported specversion {out['ce-specversion']!r}")
    return Envelope(out["ce-id"], out["ce-type"], out, body)


def _from_structured(body: bytes) -> tuple[dict[str, str], bytes]:
    """Structured mode to binary mode, as a Knative broker forwards it."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidEvent("structured CloudEvent body is not JSON") from None
    if not isinstance(doc, dict):
        raise InvalidEvent("structured CloudEvent body is not a JSON object")
    out: dict[str, str] = {}
    for name, value in doc.items():
        if name in ("data", "data_base64", "datacontenttype") or value is None:
            continue
        out[f"ce-{name.lower()}"] = value if isinstance(value, str) else json.dumps(value)
    content_type = doc.get("datacontenttype")
    data = b""
    if "data_base64" in doc:
        try:
            data = base64.b64decode(doc["data_base64"], validate=True)
        except (ValueError, TypeError):
            raise InvalidEvent("data_base64 is not base64") from None
    elif "data" in doc:
        value = doc["data"]
        if content_type is None or "json" in str(content_type):
            content_type = content_type or "application/json"
            data = json.dumps(value, separators=(",", ":")).encode()
        else:
            data = str(value).encode()
    if content_type:
        out["content-type"] = str(content_type)
    return out, data


def ping_event(spec_name: str, *, now: datetime | None = None) -> Envelope:
    """The event a Knative PingSource named after the function sends on each tick (no data)."""
    when = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    event_id = str(uuid.uuid4())
    headers = {
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-type": PING_TYPE,
        "ce-source": f"/apis/v1/namespaces/gx/pingsources/{spec_name.replace('_', '-')}",
        "ce-time": when,
    }
    return Envelope(event_id, PING_TYPE, headers, b"")


@dataclass(frozen=True)
class Delivery:
    """Knative's `delivery` spec: how often and how patiently to retry one subscriber."""

    retry: int = 5
    backoff_policy: str = "exponential"
    backoff_delay_s: float = 0.5
    timeout_s: float = 30.0

    def backoff(self, failed_attempts: int) -> float:
        """Seconds before retry number `failed_attempts` (1 = the first retry)."""
        if self.backoff_policy == "linear":
            return self.backoff_delay_s * failed_attempts
        return self.backoff_delay_s * float(2 ** (failed_attempts - 1))

    @classmethod
    def from_settings(cls, s: Settings) -> Delivery:
        return cls(
            retry=s.broker_retry,
            backoff_policy=s.broker_backoff_policy,
            backoff_delay_s=s.broker_backoff_delay_s,
            timeout_s=s.broker_delivery_timeout_s,
        )


def subscriptions(specs: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """CloudEvent type -> subscribing functions: one Trigger per (function, type)."""
    table: dict[str, list[str]] = {}
    for spec in specs:
        for event_type in spec.event_types:
            table.setdefault(event_type, []).append(spec.name)
    return {t: tuple(names) for t, names in table.items()}


class Broker:
    """Ingress, durable queue, delivery workers and PingSource timer over one PostgreSQL database."""

    def __init__(
        self,
        *,
        specs: Iterable[Any],
        events_url: str,
        dsn: str | None = None,
        delivery: Delivery | None = None,
        workers: int = 4,
        max_body_bytes: int = 4 * 1024 * 1024,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.specs = tuple(specs)
        self.events_url = events_url.rstrip("/")
        self.dsn = dsn
        self.delivery = delivery or Delivery()
        self.workers = workers
        self.clock = clock
        self.triggers = subscriptions(self.specs)
        self.schedules = [(s.name, Cron.parse(s.schedule)) for s in self.specs if s.schedule]
        self._wake = threading.Condition()
        self._generation = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: Any = None
        self._http = PoolManager(num_pools=4, maxsize=max(workers, 1), retries=False)
        self.max_body_bytes = max_body_bytes
        self._ingress = self._build_ingress()

    # --- ingress ------------------------------------------------------------------------------

    def accept(self, event: Envelope) -> int:
        """Store one delivery per matching Trigger in one transaction; how many were stored."""
        subscribers = self.triggers.get(event.type, ())
        if subscribers:
            self._store(event, subscribers)
        return len(subscribers)

    def enqueue_for(self, subscriber: str, event: Envelope) -> None:
        """Queue `event` for one function only (a source whose sink is the function itself)."""
        self._store(event, (subscriber,))

    def _store(self, event: Envelope, subscribers: Iterable[str]) -> None:
        headers = {**event.headers, "ce-knativearrivaltime": _iso(self.clock())}
        rows = [(s, event.id, event.type, Jsonb(headers), event.body) for s in subscribers]
        insert = ("INSERT INTO broker_deliveries (subscriber, event_id, event_type, headers, body)"
                  " VALUES (%s, %s, %s, %s, %s)")
        if len(rows) == 1:  # the usual case: one Trigger; one autocommit statement
            with db.connection(self.dsn) as conn:
                conn.execute(insert, rows[0])
        else:
            with db.transaction(self.dsn) as conn, conn.cursor() as cur:
                cur.executemany(insert, rows)
        self._notify(len(rows))

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self._ingress(environ, start_response)

    def _build_ingress(self) -> flask.Flask:
        app = flask.Flask("gx-broker-ingress")
        app.config["MAX_CONTENT_LENGTH"] = self.max_body_bytes

        @app.route("/health", methods=["GET"])
        def health() -> flask.Response:
            return flask.jsonify(status="ok")

        @app.route("/", defaults={"path": ""}, methods=["POST"])
        @app.route("/<path:path>", methods=["POST"])
        def ingress(path: str) -> flask.Response:
            try:
                event = parse_event(dict(flask.request.headers), flask.request.get_data())
            except RequestEntityTooLarge:
                return flask.Response(
                    json.dumps({"status": 413, "code": "PAYLOAD_TOO_LARGE"}), 413,
                    mimetype="application/problem+json",
                )
            except InvalidEvent as exc:
                return flask.Response(
                    json.dumps({"status": 400, "code": "INVALID_CLOUDEVENT", "detail": str(exc)}),
                    400, mimetype="application/problem+json",
                )
            try:
                matched = self.accept(event)
            except db.DatabaseUnavailable:
                return flask.Response(
                    json.dumps({"status": 503, "code": "DATABASE_UNAVAILABLE"}), 503,
                    mimetype="application/problem+json", headers={"Retry-After": "1"},
                )
            log.debug("broker.accepted", event_id=event.id, type=event.type, subscribers=matched)
            return flask.Response(status=202)

        return app

    # --- delivery -----------------------------------------------------------------------------

    def deliver_one(self) -> bool:
        """Claim one due delivery and attempt it; False when nothing was due."""
        row, token, _ = self._claim()
        if row is None:
            return False
        delivered = self._attempt(row, token)
        if delivered is not None:
            self._exec(_DELETE, delivered)
        return True

    def _claim(
        self, delivered: tuple[int, uuid.UUID] | None = None
    ) -> tuple[dict[str, Any] | None, uuid.UUID, float]:
        """(row, its lease token, 0) for the next due delivery, else (None, token, seconds to
        wait). Deletes the `delivered` row (id, token) in the same statement: a busy worker
        spends one round trip per event on the queue, an idle one two."""
        token = uuid.uuid4()
        done_id, done_token = delivered if delivered is not None else (None, None)
        with db.connection(self.dsn) as conn:
            row = conn.execute(_CLAIM, {
                "done_id": done_id, "done_token": done_token, "token": token,
                "lease": self.delivery.timeout_s + 30.0,
            }).fetchone()
        if row is None or row["id"] is None:
            wait = row["wait"] if row is not None else None
            return None, token, _IDLE_POLL_S if wait is None else max(0.0, min(wait, _IDLE_POLL_S))
        return row, token, 0.0

    def _attempt(self, row: dict[str, Any], token: uuid.UUID) -> tuple[int, uuid.UUID] | None:
        """POST a claimed delivery; (id, token) for the caller to delete when it was delivered,
        None when it was rescheduled or dead-lettered here."""
        status, error = self._post(row["subscriber"], row["headers"], bytes(row["body"]))
        attempts = row["attempts"] + 1
        if status is not None and 200 <= status < 300:
            return row["id"], token
        retryable = status is None or status in _RETRYABLE or status >= 500
        if retryable and attempts <= self.delivery.retry:
            delay = self.delivery.backoff(attempts)
            self._exec(
                "UPDATE broker_deliveries SET attempts = %s, lease_token = NULL, last_error = %s,"
                " due_at = now() + make_interval(secs => %s) WHERE id = %s AND lease_token = %s",
                (attempts, error, delay, row["id"], token),
            )
            log.info(
                "broker.retry", subscriber=row["subscriber"], event_id=row["event_id"],
                attempt=attempts, error=error, retry_in_s=delay,
            )
            return None
        self._dead_letter(row, token, attempts, error, retryable)
        return None

    def _post(
        self, subscriber: str, headers: dict[str, str], body: bytes
    ) -> tuple[int | None, str]:
        try:
            response = self._http.request(
                "POST", f"{self.events_url}/{subscriber}", body=body, headers=headers,
                timeout=Timeout(connect=min(5.0, self.delivery.timeout_s),
                                read=self.delivery.timeout_s),
                redirect=False, preload_content=True,
            )
        except (HTTPError, OSError) as exc:
            return None, f"network error: {type(exc).__name__}"
        return response.status, f"HTTP {response.status}"

    def _exec(self, sql: str, params: Any) -> None:
        with db.connection(self.dsn) as conn:
            conn.execute(sql, params)

    def _dead_letter(
        self, row: dict[str, Any], token: uuid.UUID, attempts: int, error: str, retryable: bool
    ) -> None:
        why = "retries exhausted" if retryable else "not retryable"
        reason = (
            f"delivery to {row['subscriber']} failed after {attempts} attempt(s) ({why});"
            f" last result: {error}"
        )
        body = bytes(row["body"])
        payload: Any = None
        content_type = row["headers"].get("content-type", "")
        if body and (not content_type or "json" in content_type):  # JSON is the default
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
        with db.transaction(self.dsn) as conn:
            gone = conn.execute(
                "DELETE FROM broker_deliveries WHERE id = %s AND lease_token = %s RETURNING id",
                (row["id"], token),
            ).fetchone()
            if gone is None:  # our lease ran out and another worker owns the row now
                return
            deadletters.record(
                conn, source="broker", reason=reason, subscriber=row["subscriber"],
                event_id=row["event_id"], event_type=row["event_type"],
                attributes=row["headers"], payload=payload, raw_body=body, attempts=attempts,
            )
        log.warning(
            "broker.dead_lettered", subscriber=row["subscriber"], event_id=row["event_id"],
            type=row["event_type"], attempts=attempts, error=error,
        )

    def _notify(self, deliveries: int | None = None) -> None:
        """Wake one idle worker per new delivery (None: all of them). Waking every worker for
        each event made each of them query for work that one of them would take: sixteen
        claims and sixteen due-time queries per event, most of the broker's CPU under load."""
        with self._wake:
            self._generation += 1
            if deliveries is None:
                self._wake.notify_all()
            else:
                self._wake.notify(deliveries)

    def _worker(self) -> None:
        delivered: tuple[int, uuid.UUID] | None = None  # deleted with the next claim
        while not self._stopping.is_set():
            seen = self._generation
            try:
                row, token, wait = self._claim(delivered)
                delivered = None
                if row is not None:
                    delivered = self._attempt(row, token)
                    continue
            except Exception:  # a database hiccup must not kill the worker
                log.exception("broker.worker_error")
                wait = _IDLE_POLL_S
            with self._wake:
                if seen == self._generation and not self._stopping.is_set():
                    self._wake.wait(wait)
        if delivered is not None:  # else it would be delivered again once its lease ran out
            try:
                self._exec(_DELETE, delivered)
            except Exception:
                log.exception("broker.worker_error")

    # --- PingSource ---------------------------------------------------------------------------

    def _timer(self) -> None:
        now = self.clock()
        upcoming = {name: cron.next_after(now) for name, cron in self.schedules}
        crons = dict(self.schedules)
        while upcoming and not self._stopping.is_set():
            name, when = min(upcoming.items(), key=lambda item: item[1])
            delay = (when - self.clock()).total_seconds()
            if delay > 0:
                self._stopping.wait(min(delay, 30.0))  # re-check: the clock may jump
                continue
            try:
                self.enqueue_for(name, ping_event(name, now=when))
                log.info("broker.ping", subscriber=name, scheduled=_iso(when))
            except Exception:
                log.exception("broker.ping_failed", subscriber=name)
            upcoming[name] = crons[name].next_after(when)

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, *, host: str | None = None, port: int | None = None) -> None:
        """Start the workers and the timer; and the ingress server when `port` is given."""
        self._stopping.clear()
        for i in range(self.workers):
            self._spawn(self._worker, f"broker-worker-{i}")
        if self.schedules:
            self._spawn(self._timer, "broker-pingsource")
        if port is not None:
            # waitress, not werkzeug's development server: that one closes every connection, so
            # each published event cost a TCP connection and a new server thread.
            from waitress.server import create_server

            from shared.chain.listener import IN_FLIGHT

            # As many ingress threads as the chain listener keeps events in flight, so its
            # publishes are not queued behind each other (waitress warns of every queued one).
            server = create_server(self.wsgi_app, host=host or "127.0.0.1", port=port,
                                   threads=IN_FLIGHT, ident="gx-broker",
                                   clear_untrusted_proxy_headers=True)
            self._server = server
            self._spawn(server.run, "broker-ingress")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            from waitress import wasyncore

            # Close every socket from the server's own loop thread; its loop ends once none is
            # left (closing them from here would race its select()).
            try:
                server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
            except OSError:
                pass  # the trigger is already closed: the loop has ended, its sockets with it
        self._notify()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []
        if server is not None:
            server.task_dispatcher.shutdown(timeout=max(0.1, deadline - time.monotonic()))


def release_orphaned_leases(dsn: str | None = None) -> int:
    """Make deliveries leased by a dead broker process due now; how many there were.

    Only for the broker `gx dev` starts, the one broker of its database, and only at its start:
    every lease then belongs to a predecessor that was killed mid-delivery. Waiting out those
    leases (delivery timeout + 30 s) held back the events it was delivering, projections among
    them, for a minute; redelivering them at once is what at-least-once allows."""
    with db.connection(dsn) as conn:
        return conn.execute(
            "UPDATE broker_deliveries SET lease_token = NULL, due_at = now()"
            " WHERE lease_token IS NOT NULL"
        ).rowcount


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_settings(specs: Iterable[Any] | None = None) -> Broker:
    s = get_settings()
    if specs is None:
        from knative.registry import event_functions

        specs = event_functions()
    return Broker(
        specs=specs,
        events_url=f"http://127.0.0.1:{s.events_port}",
        delivery=Delivery.from_settings(s),
        workers=s.broker_workers,
    )


def main() -> int:
    """The broker process `gx dev` starts: ingress on 127.0.0.1:GX_BROKER_PORT until SIGTERM."""
    import logging

    from shared.runtime.heap import freeze_startup_heap

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per ingress request
    broker = from_settings()
    orphaned = release_orphaned_leases()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    broker.start(host="127.0.0.1", port=get_settings().broker_port)
    freeze_startup_heap()
    log.info(
        "broker.started", port=get_settings().broker_port, triggers=len(broker.triggers),
        pingsources=len(broker.schedules), redelivering=orphaned,
    )
    stop.wait()
    broker.stop()
    db.close_pools()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
