"""POST /api/v1/countries/initialize {countriesData?}: per-country genesis quotas on chain.
SUPER_ADMIN; audited. Without a body every seeded country is initialised with its allocation share.
Command INITIALIZE_COUNTRY_DATA."""

import functions_framework

from shared.admin import service
from shared.http import Call, Reply, endpoint
from shared.outbox import CommandAccepted


@functions_framework.http
@endpoint
def initialize_countries(call: Call) -> Reply:
    return CommandAccepted.reply(service.initialize_countries(call.user, call.body))
