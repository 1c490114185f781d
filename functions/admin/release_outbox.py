"""DELETE /api/v1/admin/outbox/hold: resume submitting; the submitter is woken at once and
drains the backlog in order. SUPER_ADMIN; audited (OUTBOX_RELEASED). Releasing when nothing is
held changes nothing."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import hold


@functions_framework.http
@endpoint
def release_outbox(call: Call) -> Reply:
    return hold.release(source=call.spec.service_name)
