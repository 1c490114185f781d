"""POST /api/v1/parameters {paramId, newValue}: change a chain parameter (validated against the
parameter catalogue, fee rates capped). SUPER_ADMIN; audited. Command UPDATE_SYSTEM_PARAMETER."""

import functions_framework

from shared.admin import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def update_parameter(call: Call) -> Reply:
    command = service.update_parameter(call.user, call.body, request_id=call.idempotency_key)
    return CommandAccepted.reply(command)
