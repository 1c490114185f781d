"""POST /api/v1/admins {newAdminId}: make an ACTIVE on-chain user an ADMIN (off-chain role now,
on-chain record by command APPOINT_ADMIN). SUPER_ADMIN; audited; no self-appointment."""

import functions_framework

from shared.admin import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def appoint_admin(call: Call) -> Reply:
    command = service.appoint_admin(call.user, call.body, request_id=call.idempotency_key)
    return CommandAccepted.reply(command)
