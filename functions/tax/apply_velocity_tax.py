"""POST /api/v1/velocity-tax/apply {accountId}: apply the velocity tax to an eligible account;
the chain computes the rate. Admins; audited. Command APPLY_VELOCITY_TAX."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted
from shared.tax import service


@functions_framework.http
@endpoint
def apply_velocity_tax(call: Call) -> Reply:
    command = service.apply(call.user, call.body.account_id, idempotency_key=call.idempotency_key)
    return CommandAccepted.reply(command)
