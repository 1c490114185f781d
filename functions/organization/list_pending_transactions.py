"""GET /api/v1/organizations/{orgId}/transactions/pending: the organization's Pending multisig
transfers, newest first. Its stakeholders and admins (404 to others)."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.organization.schemas import PendingTransactionList


@functions_framework.http
@endpoint
def list_pending_transactions(call: Call) -> Reply:
    found, seen_as = service.pending_transactions(call.user, call.params["orgId"])
    call.grant(seen_as)
    return PendingTransactionList.model_validate({"pendingTransactions": found})
