"""GET /api/v1/loans/{loanId}: one loan. Its borrower or an admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.loanpool import service
from shared.loanpool.schemas import LoanReply


@functions_framework.http
@endpoint
def get_loan(call: Call) -> Reply:
    return LoanReply.model_validate({"loan": service.loan_for(call.user, call.params["loanId"])})
