"""POST /api/v1/system/pause {reason}: pause every state change on chain. SUPER_ADMIN; audited.
Command PAUSE_SYSTEM. While paused, user commands are refused with 503."""

import functions_framework

from shared.admin import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def pause_system(call: Call) -> Reply:
    return CommandAccepted.reply(service.pause(call.user, call.body, request_id=call.idempotency_key))
