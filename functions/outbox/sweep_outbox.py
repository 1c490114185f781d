"""PingSource tick (every minute): drain every due outbox command.

Picks up retries after their backoff, commands whose `command.enqueued` event was lost, and
commands leased by a worker that crashed (after the lease expires). Runs at most ~50 s per tick.
Ack/retry: always acknowledges unless the database is unreachable (then the tick is redelivered,
and the next tick would catch up anyway).
"""

import functions_framework
from cloudevents.http import CloudEvent

from shared.outbox.worker import sweep


@functions_framework.cloud_event
def sweep_outbox(event: CloudEvent) -> None:
    sweep()
