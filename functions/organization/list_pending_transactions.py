"""GET /api/v1/organizations/{orgId}/transactions/pending: the organization's Pending multisig
transfers, newest first. Public (spec endpoints.md O8)."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.organization.schemas import PendingTransactionList


@functions_framework.http
@endpoint
def list_pending_transactions(call: Call) -> Reply:
    return PendingTransactionList.model_validate(
        {"pendingTransactions": service.pending_transactions(call.params["orgId"])})
