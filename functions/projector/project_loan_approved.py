"""CloudEvent org.gxcoin.chain.loan_approved.v1.

LoanApproved: the loan Active (position-guarded) and the disbursement SYSTEM_LOAN_POOL -> borrower (LOAN_DISBURSEMENT rows).

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
def project_loan_approved(conn: Conn, record: ChainRecord) -> None:
    projections.loan_approved(conn, record)
