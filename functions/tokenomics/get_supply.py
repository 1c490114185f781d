"""GET /api/v1/tokenomics/supply: fixed supply and where it is, by owner type. Public."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tokenomics import service
from shared.tokenomics.schemas import SupplyReply


@functions_framework.http
@endpoint
def get_supply(call: Call) -> Reply:
    return SupplyReply(supply=service.supply())
