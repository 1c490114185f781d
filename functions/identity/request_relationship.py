"""POST /api/v1/relationships {objectId, type}: state "caller TYPE object" (e.g. CHILD_OF) and ask
the other user to confirm it. ACTIVE users. Command REQUEST_RELATIONSHIP; the chain's REL_<uuid>
comes back in the command status result."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted
from shared.relationships import service


@functions_framework.http
@endpoint
def request_relationship(call: Call) -> Reply:
    return CommandAccepted.reply(
        service.request(call.user, call.body, idempotency_key=call.idempotency_key))
