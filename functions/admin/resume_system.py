"""POST /api/v1/system/resume: resume the chain. SUPER_ADMIN; audited. Command RESUME_SYSTEM."""

import functions_framework

from shared.admin import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def resume_system(call: Call) -> Reply:
    return CommandAccepted.reply(service.resume(call.user, request_id=call.idempotency_key))
