"""PUT /api/v1/admin/outbox/hold {reason}: stop submitting commands to the ledger; command
endpoints keep accepting and queueing them. SUPER_ADMIN; audited (OUTBOX_HELD). Holding again
only replaces the reason."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import hold


@functions_framework.http
@endpoint
def hold_outbox(call: Call) -> Reply:
    return hold.hold(call.body, actor=call.user)
