"""POST /api/v1/genesis {userId}: trigger a user's genesis distribution. SUPER_ADMIN; audited.
Shares its request id with the automatic path after KYC approval: never paid twice."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted
from shared.tokenomics import service


@functions_framework.http
@endpoint
def distribute_genesis(call: Call) -> Reply:
    return CommandAccepted.reply(service.request_genesis(call.user, call.body))
