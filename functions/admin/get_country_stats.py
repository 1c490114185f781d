"""GET /api/v1/countries/{countryCode}/stats: users, genesis per phase, treasury. Public."""

import functions_framework

from shared.admin import service
from shared.admin.schemas import CountryStatsReply
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def get_country_stats(call: Call) -> Reply:
    return CountryStatsReply(stats=service.country_stats(call.params["countryCode"].upper()))
