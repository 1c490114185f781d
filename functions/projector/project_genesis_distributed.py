"""CloudEvent org.gxcoin.chain.genesis_distributed.v1, org.gxcoin.chain.genesis_distribution_event.v1.

GenesisDistributed and its alias GenesisDistributionEvent (events.md §3.6): user +amount from the user genesis pool, treasury +treasuryAmount from the government genesis pool, GENESIS rows, the user's genesis phase (phase 0 = done, nothing paid).

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
def project_genesis_distributed(conn: Conn, record: ChainRecord) -> None:
    projections.genesis_distributed(conn, record)
