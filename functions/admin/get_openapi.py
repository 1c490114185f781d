"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of every registered HTTP function. Public."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.openapi import document


@functions_framework.http
@endpoint
def get_openapi(call: Call) -> Reply:
    return document()
