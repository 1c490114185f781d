"""POST /api/v1/relationships/{id}/confirm: the requested user confirms; both trust scores are
recomputed on chain. Command CONFIRM_RELATIONSHIP."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted
from shared.relationships import service


@functions_framework.http
@endpoint
def confirm_relationship(call: Call) -> Reply:
    rel_id = call.params["id"]
    return CommandAccepted.reply(service.answer(call.user, rel_id, confirm=True),
                                 relationshipId=rel_id)
