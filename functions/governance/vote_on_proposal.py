"""POST /api/v1/proposals/{proposalId}/vote {vote: true|false}: one vote per ACTIVE user while the
proposal is Active and its window open. Command VOTE_ON_PROPOSAL."""

import functions_framework

from shared.governance import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def vote_on_proposal(call: Call) -> Reply:
    proposal_id = call.params["proposalId"]
    return CommandAccepted.reply(service.vote(call.user, proposal_id, call.body),
                                 proposalId=proposal_id)
