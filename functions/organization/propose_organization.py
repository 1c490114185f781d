"""POST /api/v1/organizations {orgId?, orgName, orgType, stakeholderIds}: propose an organization.
Users; the caller among 2-20 distinct ACTIVE stakeholders; GOVERNMENT only for admins. 202 with
the organization id. Command PROPOSE_ORGANIZATION."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def propose_organization(call: Call) -> Reply:
    command, org_id = service.propose(call.user, call.body, idempotency_key=call.idempotency_key)
    return CommandAccepted.reply(command, orgId=org_id)
