"""POST /api/v1/transactions/{pendingTxId}/approve: an approver-group member approves, once; at the
threshold the chain executes the transfer (or records ExecutionFailed). Command
APPROVE_MULTISIG_TX."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def approve_multisig_transaction(call: Call) -> Reply:
    pending_tx_id = call.params["pendingTxId"]
    return CommandAccepted.reply(service.approve(call.user, pending_tx_id),
                                 pendingTxId=pending_tx_id)
