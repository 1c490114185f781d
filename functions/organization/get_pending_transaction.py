"""GET /api/v1/transactions/{pendingTxId}: one multisig transfer with its approvals and status
(Pending, Executed, ExecutionFailed). Its organization's stakeholders and admins (404 to others)."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.organization.schemas import PendingTransactionReply


@functions_framework.http
@endpoint
def get_pending_transaction(call: Call) -> Reply:
    tx, seen_as = service.pending_transaction(call.user, call.params["pendingTxId"])
    call.grant(seen_as)
    return PendingTransactionReply.model_validate({"pendingTransaction": tx})
