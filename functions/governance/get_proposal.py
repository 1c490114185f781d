"""GET /api/v1/proposals/{proposalId}: one proposal with its tallies and end time. Public."""

import functions_framework

from shared.governance import service
from shared.governance.schemas import ProposalReply
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def get_proposal(call: Call) -> Reply:
    return ProposalReply.model_validate({"proposal": service.proposal(call.params["proposalId"])})
