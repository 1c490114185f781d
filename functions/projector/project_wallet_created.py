"""CloudEvent org.gxcoin.chain.wallet_created.v1.

WalletCreated (backend event): make sure the wallet's chain account exists; a non-zero initialBalance has no source leg and is dead-lettered.

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
def project_wallet_created(conn: Conn, record: ChainRecord) -> None:
    projections.wallet_created(conn, record)
