"""CloudEvent org.gxcoin.chain.organization_activated.v1.

OrganizationActivated: the organization Verified (position-guarded).

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
def project_organization_activated(conn: Conn, record: ChainRecord) -> None:
    projections.organization_activated(conn, record)
