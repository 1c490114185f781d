"""GET /api/v1/parameters/{paramId}: one system parameter (the chain's value when the chain has
changed it, else the seeded default). Public."""

import functions_framework

from shared.admin import service
from shared.admin.schemas import ParameterReply
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def get_parameter(call: Call) -> Reply:
    return ParameterReply.model_validate({"parameter": service.get_parameter(call.params["paramId"])})
