"""POST /api/v1/organizations/{orgId}/rules {rule: {amountThreshold, requiredApprovers,
approverGroup}}: add a k-of-group approval rule for transfers above a threshold (Qirat); the
matching rule with the highest threshold applies. Stakeholders or admins. Command DEFINE_AUTH_RULE."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def define_auth_rule(call: Call) -> Reply:
    command = service.define_rule(call.user, call.params["orgId"], call.body,
                                  idempotency_key=call.idempotency_key)
    return CommandAccepted.reply(command, orgId=call.params["orgId"])
