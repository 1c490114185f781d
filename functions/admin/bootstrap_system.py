"""POST /api/v1/bootstrap: pre-mint the pools and initialise the chain, once. SUPER_ADMIN;
audited. Command BOOTSTRAP_SYSTEM (one request id for ever: a repeat returns the first command)."""

import functions_framework

from shared.admin import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def bootstrap_system(call: Call) -> Reply:
    return CommandAccepted.reply(service.bootstrap(call.user))
