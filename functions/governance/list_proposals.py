"""GET /api/v1/proposals?status=&limit=: proposals, newest first, filtered by the chain's status
(Active, Executed, Failed, FailedExecution). Public."""

import functions_framework

from shared.governance import service
from shared.governance.schemas import ProposalList, ProposalListQuery
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def list_proposals(call: Call) -> Reply:
    q = call.query(ProposalListQuery)
    found = service.proposals(status=q.status, limit=q.limit)
    return ProposalList.model_validate({"proposals": found})
