"""Operational functions that belong to no business service."""

from knative.spec import FunctionSpec

FUNCTIONS = [
    FunctionSpec(
        name="get_openapi",
        service="admin",
        kind="http",
        summary="The OpenAPI 3.1 document of every HTTP function",
        method="GET",
        path="/api/v1/openapi.json",
        tags=("platform",),
        scale={"min": 0, "max": 2},
    ),
]
