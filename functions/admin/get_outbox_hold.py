"""GET /api/v1/admin/outbox/hold: whether ledger submission is held, and how many commands wait.
Auth: admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import hold


@functions_framework.http
@endpoint
def get_outbox_hold(call: Call) -> Reply:
    return hold.current()
