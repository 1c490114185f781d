"""GET /api/v1/admin/commands/dead: dead outbox commands, newest failure first. Auth: admin.

Query: `limit` (1-100, default 50) and `cursor` (the previous page's `nextCursor`). Audited
(DEAD_COMMANDS_LISTED), since the payloads name users and amounts.
"""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import admin


@functions_framework.http
@endpoint
def list_dead_commands(call: Call) -> Reply:
    query = call.query(admin.DeadQuery)
    return admin.list_dead_commands(actor=call.user, query=query)
