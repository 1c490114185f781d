"""GET /api/v1/counters: supply, users, organizations, genesis per phase. Public."""

import functions_framework

from shared.admin import service
from shared.admin.schemas import CountersReply
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def get_counters(call: Call) -> Reply:
    return CountersReply(counters=service.counters())
