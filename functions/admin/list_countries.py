"""GET /api/v1/countries: the country list with genesis allocation shares. Public."""

import functions_framework

from shared.admin import service
from shared.admin.schemas import CountryList
from shared.http import Call, Reply, endpoint


@functions_framework.http
@endpoint
def list_countries(call: Call) -> Reply:
    return CountryList.model_validate({"countries": service.countries()})
