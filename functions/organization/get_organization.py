"""GET /api/v1/organizations/{orgId}: the organization. Public: name, type and status; its
stakeholders and admins also see its country, members, endorsements, rules and balance."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.organization.schemas import OrganizationReply


@functions_framework.http
@endpoint
def get_organization(call: Call) -> Reply:
    org, seen_as = service.organization(call.principal, call.params["orgId"])
    if seen_as:
        call.grant(seen_as)
    return OrganizationReply.model_validate({"organization": org})
