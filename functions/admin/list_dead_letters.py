"""GET /api/v1/admin/dead-letters: dead-lettered events, newest first (keyset cursor `before`).
Auth: admin. Query: status (DEAD|REPLAYED|ALL), source, before, limit. Emits nothing."""

import functions_framework

from shared.events import replay
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def list_dead_letters(call: Call) -> Reply:
    return replay.list_dead_letters(call.query(replay.DeadLetterQuery), tenant=call.user.tenant)
