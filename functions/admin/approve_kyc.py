"""POST /api/v1/admin/kyc/{kycId}/approve: approve a pending KYC. Admins; audited. Command: queues
CREATE_USER then DISTRIBUTE_GENESIS for the user in one transaction; 202 + Location."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.identity import kyc
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def approve_kyc(call: Call) -> Reply:
    notes = call.body.notes if call.body is not None else None
    command, ids = kyc.approve(call.params["kycId"], call.user, notes=notes)
    return CommandAccepted.reply(command, **ids)
