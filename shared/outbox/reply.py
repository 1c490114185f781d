"""What every command endpoint answers, and the post-commit `command.enqueued` announcement.

`CommandAccepted.reply(command)` is the 202: `{commandId, status, type, message, ...extra ids}`
with a `Location` header pointing at the status endpoint (gaps.md B24). `announce(ids)` publishes
`org.gxcoin.command.enqueued.v1` for commands whose transaction has committed, best-effort: the
sweeper picks up whatever an announcement misses.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.observability import get_logger
from shared.outbox.enqueue import Enqueued
from shared.tracing import current_traceparent

log = get_logger(__name__)

ENQUEUED_EVENT = "org.gxcoin.command.enqueued.v1"
STATUS_PATH = "/api/v1/commands/{command_id}"


def status_url(command_id: str) -> str:
    return STATUS_PATH.format(command_id=command_id)


class CommandAccepted(BaseModel):
    """202 body of every command endpoint; extra fields (e.g. related ids) are allowed."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")
    command_id: str = Field(alias="commandId")
    type: str
    status: str = "PENDING"
    status_url: str = Field(alias="statusUrl")
    message: str = "Command accepted; poll statusUrl for its outcome."

    @classmethod
    def from_command(cls, command: Enqueued, **extra: Any) -> CommandAccepted:
        status = {"DEAD": "FAILED"}.get(command.status, command.status)
        return cls(
            commandId=command.id,
            type=command.type,
            status=status,
            statusUrl=status_url(command.id),
            **extra,
        )

    @classmethod
    def reply(cls, command: Enqueued, **extra: Any) -> tuple[CommandAccepted, int, dict[str, str]]:
        """(body, 202, Location header): return this from a command endpoint."""
        return cls.from_command(command, **extra), 202, {"Location": status_url(command.id)}


#: Most commands one announcement names: the submitter drains whatever is due when woken, so
#: one wake-up per batch it can take is enough.
ANNOUNCE_BATCH = 100
#: Least time between two announcements from one process. A command accepted after a quiet
#: spell is announced at once; under load, what is accepted within this interval shares one
#: event (each is a broker write and a submitter delivery, which a running drain ignores).
ANNOUNCE_SPACING_S = 0.05


def announce(command_ids: Iterable[str], *, source: str, traceparent: str | None = None) -> int:
    """Publish one command.enqueued naming these (committed) commands; how many it covered
    (0 when the broker did not take it). The event's id is the first command's id and its data
    `{"commandId": first, "commandIds": [all]}`: the submitter only needs waking, and drains every
    due command, announced or not. `traceparent` (the first command's) becomes the event's
    distributed-tracing extension; each command's own trace rides its outbox row."""
    ids = list(command_ids)
    if not ids:
        return 0
    try:
        from shared.events.publish import publish
    except ImportError:  # no publisher in this deployment: the sweeper submits the commands
        log.error("outbox.no_publisher")
        return 0
    try:
        ok = publish(ENQUEUED_EVENT, {"commandId": ids[0], "commandIds": ids}, source=source,
                     event_id=ids[0],
                     extensions={"traceparent": traceparent} if traceparent else None)
    except Exception:  # noqa: BLE001 - best-effort by contract; never fail an accepted command
        ok = False
    if not ok:
        log.warning("outbox.announce_failed", command_ids=ids[:5], count=len(ids))
    return len(ids) if ok else 0


#: How long the announcer retries what the broker did not take (it is down or restarting),
#: waiting 0.25 s, then twice as long each time up to 2 s: a broker restart takes a second or two,
#: and otherwise the last commands of a burst would wait for the sweeper's next tick.
ANNOUNCE_RETRY_S = 30.0
_RETRY_FIRST_S, _RETRY_MAX_S = 0.25, 2.0


class _Announcer:
    """One background sender per process. Ids queued while it is sending, or within
    `ANNOUNCE_SPACING_S` of its last send, go out together in the next announcement, so under
    load a burst of accepted commands costs a few events, not one each (each event is a broker
    write and a submitter wake-up). What the broker refuses is sent again with what is queued
    meanwhile, for up to `retry_for_s`."""

    def __init__(
        self, spacing_s: float = ANNOUNCE_SPACING_S, retry_for_s: float = ANNOUNCE_RETRY_S
    ) -> None:
        self.spacing_s = spacing_s
        self.retry_for_s = retry_for_s
        self.pending: queue.SimpleQueue[tuple[str, list[str], str | None]] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="gx-announce", daemon=True)
        self.thread.start()

    def put(self, source: str, ids: list[str], traceparent: str | None = None) -> None:
        self.pending.put((source, ids, traceparent))

    def _run(self) -> None:
        last_sent = -self.spacing_s
        unsent: dict[str, list[str]] = {}  # refused by the broker, to be sent again
        traces: dict[str, str | None] = {}  # command id -> its request's traceparent
        failing_since: float | None = None
        delay = 0.0
        while True:
            batches, unsent = unsent, {}
            if not batches:
                source, ids, traceparent = self.pending.get()
                batches.setdefault(source, []).extend(ids)
                traces.update(dict.fromkeys(ids, traceparent))
            time.sleep(max(0.0, last_sent + max(self.spacing_s, delay) - time.monotonic()))
            last_sent = time.monotonic()
            while sum(map(len, batches.values())) < ANNOUNCE_BATCH:
                try:
                    source, ids, traceparent = self.pending.get_nowait()
                except queue.Empty:
                    break
                batches.setdefault(source, []).extend(ids)
                traces.update(dict.fromkeys(ids, traceparent))
            for source, ids in batches.items():
                for i in range(0, len(ids), ANNOUNCE_BATCH):
                    chunk = ids[i:i + ANNOUNCE_BATCH]
                    # Once the broker refused one, the rest wait for the next try too.
                    if unsent or not announce(chunk, source=source,
                                              traceparent=traces.get(chunk[0])):
                        unsent.setdefault(source, []).extend(chunk)
            # Keep the traces of what is still to be sent only.
            traces = {i: traces.get(i) for ids in unsent.values() for i in ids}
            if not unsent:
                failing_since, delay = None, 0.0
                continue
            failing_since = failing_since if failing_since is not None else time.monotonic()
            if time.monotonic() - failing_since > self.retry_for_s:
                log.warning("outbox.announce_given_up", count=sum(map(len, unsent.values())),
                            retried_s=round(time.monotonic() - failing_since, 1))
                unsent, traces, failing_since, delay = {}, {}, None, 0.0  # the sweeper submits
                continue
            delay = min(delay * 2 or _RETRY_FIRST_S, _RETRY_MAX_S)


_announcers: dict[int, _Announcer] = {}
_announcers_lock = threading.Lock()


def announce_later(command_ids: Iterable[str], *, source: str) -> None:
    """`announce` from this process's background sender, so the request does not wait for the
    broker (about 14 % of a command accept in the benchmark profile) and concurrent requests'
    commands share announcements. One the broker refuses is retried for a while; losing one
    (this process crashed, the broker stayed down) only delays its commands until the sweeper's
    next tick or the next drain; nothing is lost."""
    ids = list(command_ids)
    if not ids:
        return
    # Called by the request that committed them: its trace is the commands' trace.
    traceparent = current_traceparent()
    if traceparent:
        log.info("outbox.accepted", command_ids=ids[:20], count=len(ids))
    pid = os.getpid()  # re-created after a fork: a thread does not survive one
    announcer = _announcers.get(pid)
    if announcer is None:
        with _announcers_lock:
            announcer = _announcers.get(pid)
            if announcer is None:
                announcer = _announcers[pid] = _Announcer()
    announcer.put(source, ids, traceparent)
