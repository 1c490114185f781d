"""CloudEvent org.gxcoin.chain.system_bootstrapped.v1.

SystemBootstrapped: the one mint (every pool +amount, MINT rows) and SYSTEM_BOOTSTRAPPED.

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
def project_system_bootstrapped(conn: Conn, record: ChainRecord) -> None:
    projections.system_bootstrapped(conn, record)
