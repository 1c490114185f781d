"""CloudEvent org.gxcoin.chain.country_data_initialized.v1.

CountryDataInitialized: per-country genesis quotas, COUNTRY_<CC>_INITIALIZED, and each treasury as Locked.

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
def project_country_data_initialized(conn: Conn, record: ChainRecord) -> None:
    projections.country_data_initialized(conn, record)
