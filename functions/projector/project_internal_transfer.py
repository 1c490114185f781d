"""CloudEvent org.gxcoin.chain.internal_transfer_event.v1.

InternalTransferEvent: move the amount between the two accounts; the row kind follows `type` (P2P_TRANSFER -> SENT/RECEIVED).

Policy (shared.events.projector): one transaction per event with its processed-event row, so a
duplicate is acknowledged and ignored; an unknown type or a payload that violates its schema is
dead-lettered and acknowledged; a database failure is raised so the broker retries.
"""

import functions_framework

from shared.events.cloudevent import ChainRecord
from shared.events.projector import Conn, projector
from shared.readmodels import projections


@functions_framework.cloud_event
@projector
def project_internal_transfer(conn: Conn, record: ChainRecord) -> None:
    projections.internal_transfer(conn, record)
