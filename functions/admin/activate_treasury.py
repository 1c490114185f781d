"""POST /api/v1/treasury/activate {countryCode}: unlock a national treasury. SUPER_ADMIN;
audited. Command ACTIVATE_TREASURY (one per country)."""

import functions_framework

from shared.admin import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def activate_treasury(call: Call) -> Reply:
    return CommandAccepted.reply(service.activate_treasury(call.user, call.body))
