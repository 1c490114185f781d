"""GET /api/v1/users/{id}/relationships: the user's relationships, either side, any status. The
user (profile id) or an admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.relationships import service
from shared.relationships.schemas import RelationshipList


@functions_framework.http
@endpoint
def list_relationships(call: Call) -> Reply:
    return RelationshipList.model_validate(
        {"relationships": service.relationships_of(call.params["id"])})
