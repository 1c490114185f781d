"""POST /api/v1/loans {amount, collateralHash, borrowerId?}: apply for an interest-free loan.
The ACTIVE caller is the borrower; amount within the chain's bounds (Qirat); trust score at least
the minimum (75), checked here and again on chain. Command APPLY_FOR_LOAN; the chain's LOAN_<uuid>
comes back in the command status result."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.loanpool import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def apply_for_loan(call: Call) -> Reply:
    return CommandAccepted.reply(
        service.apply(call.user, call.body, idempotency_key=call.idempotency_key))
