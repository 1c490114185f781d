"""GET /api/v1/treasury/{countryCode}/balance: a national treasury's balance and status. Public."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tokenomics import service
from shared.tokenomics.schemas import TreasuryReply


@functions_framework.http
@endpoint
def get_treasury_balance(call: Call) -> Reply:
    return TreasuryReply.model_validate({"balance": service.treasury(call.params["countryCode"])})
