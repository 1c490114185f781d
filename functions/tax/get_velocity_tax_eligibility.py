"""GET /api/v1/velocity-tax/eligibility/{accountId}: whether the velocity tax is due, why, and
the estimate at the current band. Public."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tax import service
from shared.tax.schemas import EligibilityReply


@functions_framework.http
@endpoint
def get_velocity_tax_eligibility(call: Call) -> Reply:
    return EligibilityReply.model_validate(service.eligibility(call.params["accountId"]))
