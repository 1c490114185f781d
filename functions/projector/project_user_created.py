"""CloudEvent org.gxcoin.chain.user_created.v1.

UserCreated: the on-chain user (rm_chain_users) with its trust score, its wallet account, and the profile linked by fabric_user_id (onchain_status, onchain_registered_at; APPROVED_PENDING_ONCHAIN -> ACTIVE).

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
def project_user_created(conn: Conn, record: ChainRecord) -> None:
    projections.user_created(conn, record)
