"""GET /api/v1/wallets/{profileId}: the wallet: account, balance, frozen state, tax timer. Owner
or admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tokenomics import service
from shared.tokenomics.schemas import WalletReply


@functions_framework.http
@endpoint
def get_wallet(call: Call) -> Reply:
    return WalletReply.model_validate({"wallet": service.wallet(call.params["profileId"])})
