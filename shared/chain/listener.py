"""The chain listener: ledger events -> CloudEvents -> the broker, at least once, never lost.

The one long-running process of the system (a Knative ContainerSource whose sink is the broker;
`gx chain-listener` locally). It reads the ledger's events strictly after its stored checkpoint
(block, tx index), so a partly processed block is resumed where it stopped (gaps.md C7) and a
reconnect starts from the checkpoint, never from the original start (C9). For each event:

1. convert it to a CloudEvent and validate its payload against its schema in `events/`; an
   unknown or invalid event is written to `event_dead_letters` (source `chain-listener`) together
   with the checkpoint advance past it, in one transaction, and the stream goes on (never skipped
   silently, C8);
2. POST it to the sink (up to `concurrency` events in flight: the broker and the projectors do
   not depend on arrival order), retrying with capped exponential backoff and jitter until the
   sink acknowledges (2xx); a sink that keeps failing stops the batch at that event, and the next
   poll resumes from the checkpoint after the last event settled before it;
3. once the batch is sent (or a send fails for good part-way), record the published positions,
   the dead letters and the checkpoint after the last settled event in one transaction. A crash
   between 2 and 3 re-sends those events; the projectors deduplicate them.

A session-level advisory lock keeps a single active listener per name (a killed process's lock
is released with its connection). Every poll records the ledger height and the block through
which everything is published, from which `shared.projection_state` computes the lag.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg

from shared import db, projection_state, tracing
from shared.chain.port import ChainEvent, LedgerPort
from shared.events import deadletters
from shared.events.catalogue import Catalogue, InvalidPayload, UnknownEvent, type_for_name
from shared.events.cloudevent import event_id, from_chain
from shared.events.sink import HttpSink, Sink, SinkRejected, SinkUnavailable
from shared.observability import LISTENER_LAST_POLL, PROJECTION_LAG, get_logger

__all__ = ["ChainListener", "HttpSink", "Sink", "SinkRejected", "SinkUnavailable"]

log = get_logger(__name__)

_LOCK_NAMESPACE = 0x67786C73  # "gxls"


@dataclass
class _Done:
    """What one poll's batch settled so far, in stream order."""

    published: list[tuple[str, int, int]] = field(default_factory=list)
    dead_letters: list[tuple[ChainEvent, str]] = field(default_factory=list)
    last: ChainEvent | None = None

    def dead(self, event: ChainEvent, reason: str) -> None:
        self.dead_letters.append((event, reason))
        self.last = event


#: Events a listener keeps in flight to its sink by default.
IN_FLIGHT = 8


class ChainListener:
    def __init__(
        self,
        ledger: LedgerPort,
        sink: Sink,
        *,
        name: str = "chain-listener",
        channel: str = "gxchannel",
        chaincode: str = "gxtv3",
        batch_size: int = 500,
        concurrency: int = IN_FLIGHT,
        dsn: str | None = None,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.ledger = ledger
        self.sink = sink
        self.name = name
        self.channel = channel
        self.chaincode = chaincode
        self.batch_size = batch_size
        self.dsn = dsn
        self.catalogue = catalogue  # None = the catalogue of events/
        self.concurrency = concurrency  # events in flight to the sink
        self._senders: ThreadPoolExecutor | None = None

    # --- state -------------------------------------------------------------------------------

    def checkpoint(self) -> tuple[int, int] | None:
        with db.connection(self.dsn) as conn:
            row = conn.execute(
                "SELECT block_number, tx_index FROM chain_checkpoints WHERE listener = %s",
                (self.name,),
            ).fetchone()
        return (int(row["block_number"]), int(row["tx_index"])) if row else None

    def _advance(self, conn: psycopg.Connection[Any], event: ChainEvent) -> None:
        # Never move backwards, even if two listeners ever raced past the lock.
        conn.execute(
            "INSERT INTO chain_checkpoints (listener, block_number, tx_index) VALUES (%s, %s, %s)"
            " ON CONFLICT (listener) DO UPDATE SET block_number = EXCLUDED.block_number,"
            " tx_index = EXCLUDED.tx_index, updated_at = now()"
            " WHERE (chain_checkpoints.block_number, chain_checkpoints.tx_index)"
            "     < (EXCLUDED.block_number, EXCLUDED.tx_index)",
            (self.name, event.block_number, event.tx_index),
        )

    def _observe(self, height: int, published_through: int) -> None:
        with db.connection(self.dsn) as conn:
            conn.execute(
                "INSERT INTO chain_heights (listener, height, published_through)"
                " VALUES (%s, %s, %s) ON CONFLICT (listener) DO UPDATE SET"
                " height = GREATEST(chain_heights.height, EXCLUDED.height),"
                " published_through = GREATEST(chain_heights.published_through,"
                "                              EXCLUDED.published_through),"
                " observed_at = now()",
                (self.name, height, published_through),
            )

    # --- one batch ---------------------------------------------------------------------------

    def _publish(self, events: list[ChainEvent], done: _Done) -> None:
        """Send the batch, up to `concurrency` events in flight, and settle each in stream
        order in `done`: published, or set aside as a dead letter (invalid, or refused by the
        sink). A sink that stays unavailable stops the batch at that event (SinkUnavailable);
        events after it that were sent anyway are sent again by the next poll."""
        sends: list[tuple[ChainEvent, Any, Future[None] | str]] = []
        traces = self._traces(events)
        for event in events:
            try:
                cloud_event = from_chain(event, channel=self.channel, chaincode=self.chaincode,
                                         catalogue=self.catalogue)
            except (UnknownEvent, InvalidPayload) as exc:
                sends.append((event, None, f"schema: {exc}"))
                continue
            # The command's trace continues in the event (CloudEvents distributed tracing).
            with tracing.step("chain.publish", traces.get(event.tx_id), tx_id=event.tx_id,
                              block=event.block_number) as handed:
                if handed:
                    cloud_event["traceparent"] = handed
            sends.append((event, cloud_event, self._pool().submit(self.sink.send, cloud_event)))
        try:
            for event, cloud_event, sent in sends:
                if isinstance(sent, str):
                    done.dead(event, sent)
                    continue
                try:
                    sent.result()
                except SinkRejected as exc:
                    done.dead(event, str(exc))
                    continue
                done.published.append((cloud_event["id"], event.block_number, event.tx_index))
                done.last = event
                traceparent = traces.get(event.tx_id)
                if traceparent:
                    log.info("chain.event_published", event_id=cloud_event["id"],
                             tx_id=event.tx_id, block=event.block_number,
                             trace_id=tracing.trace_id_of(traceparent))
        finally:
            for _, _, sent in sends:
                if not isinstance(sent, str):
                    sent.cancel()

    def _traces(self, events: list[ChainEvent]) -> dict[str, str]:
        """tx id -> traceparent of the command that made the transaction (one query a batch;
        transactions the backend did not submit have none)."""
        if not events:
            return {}
        with db.connection(self.dsn) as conn:
            rows = conn.execute(
                "SELECT tx_id, traceparent FROM outbox_commands"
                " WHERE tx_id = ANY(%s) AND traceparent IS NOT NULL",
                ([e.tx_id for e in events],),
            ).fetchall()
        return {r["tx_id"]: r["traceparent"] for r in rows}

    def _pool(self) -> ThreadPoolExecutor:
        if self._senders is None:
            self._senders = ThreadPoolExecutor(self.concurrency, thread_name_prefix="gx-publish")
        return self._senders

    def close(self) -> None:
        """Stop the sender threads (`run` does this when it ends; a later poll starts new ones)."""
        senders, self._senders = self._senders, None
        if senders is not None:
            senders.shutdown(wait=True, cancel_futures=True)

    def _record(self, done: _Done) -> None:
        """What the batch settled, in one transaction: dead letters, published positions and the
        checkpoint after the last event settled (one commit per batch, not per event)."""
        if done.last is None:
            return
        with db.transaction(self.dsn) as conn:
            for event, reason in done.dead_letters:
                deadletters.record(
                    conn,
                    source="chain-listener",
                    reason=reason,
                    event_id=event_id(event.tx_id),
                    event_type=type_for_name(event.name),
                    attributes={
                        "id": event_id(event.tx_id),
                        "source": f"{self.channel}/{self.chaincode}",
                        "eventname": event.name,
                        "time": event.timestamp.isoformat(),
                        "blocknumber": str(event.block_number),
                        "txindex": str(event.tx_index),
                        "txid": event.tx_id,
                    },
                    payload=event.payload,
                    block_number=event.block_number,
                    tx_id=event.tx_id,
                )
            if done.published:
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO published_events (event_id, block_number, tx_index)"
                        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                        done.published,
                    )
            self._advance(conn, done.last)
        for event, reason in done.dead_letters:
            log.error("chain event dead-lettered", tx_id=event.tx_id, block=event.block_number,
                      event_name=event.name, reason=reason)

    # --- the stream --------------------------------------------------------------------------

    def poll_once(self) -> int:
        """Publish what is committed after the checkpoint (at most one batch); events handled.
        A sink outage part-way records what was acknowledged before it, then raises."""
        height = self.ledger.height()
        events = list(self.ledger.events(after=self.checkpoint(), limit=self.batch_size))
        done = _Done()
        try:
            self._publish(events, done)
        finally:
            self._record(done)
        if len(events) < self.batch_size:
            # Caught up: everything committed so far is published.
            last = events[-1].block_number if events else 0
            top = max(height, last)
            self._observe(top, top)
        else:
            self._observe(max(height, events[-1].block_number), events[-1].block_number - 1)
        return len(events)

    def refresh_lag(self) -> None:
        with db.transaction(self.dsn) as conn:
            projection_state.prune(conn)
            lag = projection_state.status(conn)["lag"]
        if lag is not None:
            PROJECTION_LAG.set(lag)

    def run(
        self,
        stop: threading.Event | None = None,
        *,
        poll_interval: float = 0.5,
        lag_interval: float = 5.0,
    ) -> None:
        """Poll until `stop` is set; every failure is logged and retried from the checkpoint."""
        stop = stop or threading.Event()
        with self._single_instance(stop), contextlib.closing(self):
            backoff = poll_interval
            next_lag = 0.0
            while not stop.is_set():
                try:
                    count = self.poll_once()
                    LISTENER_LAST_POLL.set(time.time())
                    if time.monotonic() >= next_lag:
                        self.refresh_lag()
                        next_lag = time.monotonic() + lag_interval
                    backoff = poll_interval
                    if count < self.batch_size:
                        stop.wait(poll_interval)
                except Exception:  # the stream must survive anything; the checkpoint is safe
                    log.warning("chain listener poll failed; retrying", exc_info=True)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 30.0)

    def _single_instance(self, stop: threading.Event) -> Any:
        listener = self

        class _Lock:
            conn: psycopg.Connection[Any] | None = None

            def __enter__(self) -> None:
                from shared.config import get_settings

                dsn = listener.dsn or get_settings().require("database_url")
                while not stop.is_set():
                    try:
                        self.conn = psycopg.connect(dsn, autocommit=True)
                        row = self.conn.execute(
                            "SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                            (_LOCK_NAMESPACE, listener.name),
                        ).fetchone()
                        if row and row[0]:
                            return
                        self.conn.close()
                        log.info("another chain listener holds the lock; waiting", name=listener.name)
                    except psycopg.OperationalError:
                        log.warning("database unreachable; waiting for the listener lock")
                    stop.wait(1.0)

            def __exit__(self, *exc: object) -> None:
                if self.conn is not None:
                    self.conn.close()

        return _Lock()
