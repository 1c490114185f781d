"""POST /api/v1/loans/{loanId}/approve: approve a PendingApproval loan; the pool disburses it.
Admins. Command APPROVE_LOAN."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.loanpool import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def approve_loan(call: Call) -> Reply:
    loan_id = call.params["loanId"]
    return CommandAccepted.reply(service.approve(call.user, loan_id), loanId=loan_id)
