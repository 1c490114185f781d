"""POST /api/v1/transfers {toUserId, amount, remark?}: send GX from the caller's wallet. Users.
Checked against the read models before the outbox (self, frozen, unknown, inactive, balance incl.
the sender's fee share); 202 + Location with the fee quote. Command TRANSFER_TOKENS."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted
from shared.tokenomics import service
from shared.tokenomics.schemas import FeeQuoteOut


@functions_framework.http
@endpoint
def create_transfer(call: Call) -> Reply:
    command, quote = service.request_transfer(
        call.user, call.body, idempotency_key=call.idempotency_key
    )
    return CommandAccepted.reply(command, quote=FeeQuoteOut.of(quote).model_dump(by_alias=True))
