"""GET /api/v1/commands/{commandId}: a command's status, result ids or error. Auth: user.

The command's owner (who sent it) or an admin may read it; anyone else gets 404, never 403, so
command ids reveal nothing.
"""

import functions_framework

from shared import db
from shared.http import Call, Reply, endpoint
from shared.outbox import status


@functions_framework.http
@endpoint
def get_command_status(call: Call) -> Reply:
    user = call.user
    with db.connection() as conn:
        return status.get_status(
            conn, call.params["commandId"], tenant=user.tenant, viewer=user.sub, admin=user.is_admin
        )
