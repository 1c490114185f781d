"""POST /api/v1/organizations/{orgId}/transactions {toUserId, amount, remark?}: open a transfer out
of a Verified organization. Stakeholders; the initiator's approval counts. The chain's
PENDING_TX_<uuid> comes back in the command status result. Command INITIATE_MULTISIG_TX."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def initiate_multisig_transaction(call: Call) -> Reply:
    command = service.initiate(call.user, call.params["orgId"], call.body,
                               idempotency_key=call.idempotency_key)
    return CommandAccepted.reply(command, orgId=call.params["orgId"])
