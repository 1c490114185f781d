"""POST /api/v1/organizations/{orgId}/activate: verify the organization once every stakeholder
has endorsed it. Stakeholders or admins. Command ACTIVATE_ORGANIZATION."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def activate_organization(call: Call) -> Reply:
    return CommandAccepted.reply(service.activate(call.user, call.params["orgId"]),
                                 orgId=call.params["orgId"])
