"""POST /api/v1/relationships/{id}/reject: the requested user declines. Command
REJECT_RELATIONSHIP."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted
from shared.relationships import service


@functions_framework.http
@endpoint
def reject_relationship(call: Call) -> Reply:
    rel_id = call.params["id"]
    return CommandAccepted.reply(service.answer(call.user, rel_id, confirm=False),
                                 relationshipId=rel_id)
