"""POST /api/v1/proposals/{proposalId}/execute: after the window, apply the outcome (passed: the
parameter changes; a tie or a loss: Failed). Admins. Command EXECUTE_PROPOSAL."""

import functions_framework

from shared.governance import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def execute_proposal(call: Call) -> Reply:
    proposal_id = call.params["proposalId"]
    return CommandAccepted.reply(service.execute(call.user, proposal_id), proposalId=proposal_id)
