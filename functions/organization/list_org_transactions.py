"""GET /api/v1/organizations/{orgId}/transactions?status=&limit=: the organization's multisig
transfers in any (or the given) status, newest first. Its stakeholders and admins (404 to others)."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.organization.schemas import PendingTransactionList, TransactionListQuery


@functions_framework.http
@endpoint
def list_org_transactions(call: Call) -> Reply:
    q = call.query(TransactionListQuery)
    found, seen_as = service.transactions(call.user, call.params["orgId"], status=q.status,
                                          limit=q.limit)
    call.grant(seen_as)
    return PendingTransactionList.model_validate({"pendingTransactions": found})
