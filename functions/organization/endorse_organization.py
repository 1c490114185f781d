"""POST /api/v1/organizations/{orgId}/endorse: a stakeholder endorses the organization, once.
Command ENDORSE_MEMBERSHIP."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def endorse_organization(call: Call) -> Reply:
    return CommandAccepted.reply(service.endorse(call.user, call.params["orgId"]),
                                 orgId=call.params["orgId"])
