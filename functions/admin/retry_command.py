"""POST /api/v1/admin/commands/{commandId}/retry: re-drive a dead command. Auth: admin; 202.

The command goes back to PENDING with fresh attempts (same id, same chain tx id, so it still
cannot apply twice) and is announced to the submitter. Only DEAD commands (409 otherwise).
Audited (COMMAND_REDRIVEN).
"""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import admin


@functions_framework.http
@endpoint
def retry_command(call: Call) -> Reply:
    return admin.retry_command(call.params["commandId"], actor=call.user,
                               source=call.spec.service_name)
