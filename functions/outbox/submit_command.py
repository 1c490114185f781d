"""CloudEvent `org.gxcoin.command.enqueued.v1` (data `{commandId}`): submit that command now.

Emitted by command endpoints after the enqueuing transaction commits. Claims the command (SKIP
LOCKED + lease), submits it to the ledger, records the outcome, then submits the commands queued
behind it in the same aggregate. Ack/retry: a malformed event is logged and acknowledged; the
outcome of the submission is durable in the outbox (a ledger failure becomes RETRYING), so only a
database failure raises and makes the broker redeliver. Redeliveries are harmless: a finished or
leased command cannot be claimed again.
"""

import functions_framework
from cloudevents.http import CloudEvent

from shared.outbox.worker import on_enqueued


@functions_framework.cloud_event
def submit_command(event: CloudEvent) -> None:
    on_enqueued(event.data)
