"""PingSource tick (every 5 minutes): anchor the audit chain's head outside the database.

Writes one S3 object named by the head's (seq, hash) to `GX_AUDIT_ANCHOR_BUCKET` unless that head
is already anchored. `gx audit verify` then checks that every anchored head is still in
`audit_log` with its hash, so rows deleted off the end (which leave a valid shorter chain) show.
Rows written since the last tick are not yet covered. Ack/retry: an unreachable database or
bucket fails the tick, and the next tick anchors the then-current head anyway.
"""

import functions_framework
from cloudevents.http import CloudEvent

from shared import audit, db


@functions_framework.cloud_event
def anchor_audit(event: CloudEvent) -> None:
    with db.connection() as conn:
        audit.anchor(conn)
