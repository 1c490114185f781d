"""GET /api/v1/wallets/{profileId}/balance: a wallet's balance (string of Qirat). Owner or admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tokenomics import service
from shared.tokenomics.schemas import BalanceReply


@functions_framework.http
@endpoint
def get_balance(call: Call) -> Reply:
    return BalanceReply.model_validate({"balance": service.wallet(call.params["profileId"])})
