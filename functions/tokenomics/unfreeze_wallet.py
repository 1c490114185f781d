"""POST /api/v1/wallets/{walletId}/unfreeze: unfreeze a wallet. Admins; audited. Command
UNFREEZE_WALLET."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted
from shared.tokenomics import service


@functions_framework.http
@endpoint
def unfreeze_wallet(call: Call) -> Reply:
    command = service.set_frozen(call.user, call.params["walletId"], freeze=False, body=None,
                                 idempotency_key=call.idempotency_key)
    return CommandAccepted.reply(command)
