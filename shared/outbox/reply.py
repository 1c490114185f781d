"""What every command endpoint answers, and the post-commit `command.enqueued` announcement.

`CommandAccepted.reply(command)` is the 202: `{commandId, status, type, message, ...extra ids}`
with a `Location` header pointing at the status endpoint (gaps.md B24). `announce(ids)` publishes
`org.gxcoin.command.enqueued.v1` for commands whose transaction has committed, best-effort: the
sweeper picks up whatever an announcement misses.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.observability import get_logger
from shared.outbox.enqueue import Enqueued

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


def announce(command_ids: Iterable[str], *, source: str) -> int:
    """Publish command.enqueued for each (committed) command; how many were delivered."""
    try:
        from shared.events.publish import publish
    except ImportError:  # no publisher in this deployment: the sweeper submits the commands
        log.error("outbox.no_publisher")
        return 0
    delivered = 0
    for command_id in command_ids:
        try:
            ok = publish(
                ENQUEUED_EVENT, {"commandId": command_id}, source=source, event_id=command_id
            )
        except Exception:  # noqa: BLE001 - best-effort by contract; never fail an accepted command
            log.warning("outbox.announce_failed", command_id=command_id)
            ok = False
        delivered += 1 if ok else 0
    return delivered


_senders: dict[int, Any] = {}
_senders_lock = threading.Lock()


def announce_later(command_ids: Iterable[str], *, source: str) -> None:
    """`announce` on a background sender of this process, so the request does not wait for the
    broker (about 14 % of a command accept in the benchmark profile). Losing it in a crash only
    delays the command until the sweeper's next tick; nothing is lost."""
    ids = list(command_ids)
    if not ids:
        return
    pid = os.getpid()  # re-created after a fork: a thread does not survive one
    sender = _senders.get(pid)
    if sender is None:
        with _senders_lock:
            sender = _senders.get(pid)
            if sender is None:
                sender = _senders[pid] = ThreadPoolExecutor(1, thread_name_prefix="gx-announce")
    sender.submit(announce, ids, source=source)
