"""POST /api/v1/loans/{loanId}/repay: the borrower repays an Active loan in full (0% interest);
the coins return to the pool. Command REPAY_LOAN."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.loanpool import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def repay_loan(call: Call) -> Reply:
    loan_id = call.params["loanId"]
    return CommandAccepted.reply(service.repay(call.user, loan_id), loanId=loan_id)
