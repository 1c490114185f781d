"""GET /api/v1/system/status: {isPaused, pauseReason, lastUpdated, bootstrapped}. Public;
answers ACTIVE before the first pause (never an error, gaps B17)."""

import functions_framework

from shared.admin import service
from shared.admin.schemas import SystemStatusReply
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def get_system_status(call: Call) -> Reply:
    return SystemStatusReply.model_validate(service.system_status())
