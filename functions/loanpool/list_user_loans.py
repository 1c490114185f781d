"""GET /api/v1/users/{borrowerId}/loans?status=&limit=: a borrower's loans, newest application
first. The borrower (profile id) or an admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.loanpool import service
from shared.loanpool.schemas import LoanList, LoanListQuery


@functions_framework.http
@endpoint
def list_user_loans(call: Call) -> Reply:
    q = call.query(LoanListQuery)
    found = service.loans_of(call.params["borrowerId"],
                             status=q.status, limit=q.limit)
    return LoanList.model_validate({"loans": found})
