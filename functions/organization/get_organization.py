"""GET /api/v1/organizations/{orgId}: the organization: type, status, stakeholders, endorsements,
rules, balance. Public (spec endpoints.md O7)."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.organization.schemas import OrganizationReply


@functions_framework.http
@endpoint
def get_organization(call: Call) -> Reply:
    return OrganizationReply.model_validate(
        {"organization": service.organization(call.params["orgId"])})
