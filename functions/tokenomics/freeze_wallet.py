"""POST /api/v1/wallets/{walletId}/freeze {reason}: freeze a wallet (wallet id = owner's profile id).
Admins; audited. Command FREEZE_WALLET."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted
from shared.tokenomics import service


@functions_framework.http
@endpoint
def freeze_wallet(call: Call) -> Reply:
    command = service.set_frozen(call.user, call.params["walletId"], freeze=True, body=call.body,
                                 idempotency_key=call.idempotency_key)
    return CommandAccepted.reply(command)
