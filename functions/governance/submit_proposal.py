"""POST /api/v1/proposals {targetParam, newValue}: propose a new value for a governable chain
parameter. Admins (as the chain allows); no identical Active proposal. Command SUBMIT_PROPOSAL;
the chain's PROP_<uuid> comes back in the command status result."""

import functions_framework

from shared.governance import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def submit_proposal(call: Call) -> Reply:
    return CommandAccepted.reply(
        service.submit(call.user, call.body, idempotency_key=call.idempotency_key))
