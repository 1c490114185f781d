"""GET /api/v1/parameters: every system parameter with its description. Public."""

import functions_framework

from shared.admin import service
from shared.admin.schemas import ParameterList
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def list_parameters(call: Call) -> Reply:
    return ParameterList.model_validate({"parameters": service.list_parameters()})
