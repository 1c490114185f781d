"""GET /api/v1/transactions/{pendingTxId}: one multisig transfer with its approvals and status
(Pending, Executed, ExecutionFailed). Public, as O8."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.organization.schemas import PendingTransactionReply


@functions_framework.http
@endpoint
def get_pending_transaction(call: Call) -> Reply:
    return PendingTransactionReply.model_validate(
        {"pendingTransaction": service.pending_transaction(call.params["pendingTxId"])})
