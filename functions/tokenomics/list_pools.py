"""GET /api/v1/tokenomics/pools: each system pool, what it was minted with, its balance. Public."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tokenomics import service
from shared.tokenomics.schemas import PoolsReply


@functions_framework.http
@endpoint
def list_pools(call: Call) -> Reply:
    return PoolsReply(pools=service.pools())
