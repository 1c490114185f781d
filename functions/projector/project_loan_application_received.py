"""CloudEvent org.gxcoin.chain.loan_application_received.v1.

LoanApplicationReceived: the loan, PendingApproval (no balance moves).

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
def project_loan_application_received(conn: Conn, record: ChainRecord) -> None:
    projections.loan_application_received(conn, record)
