"""GET /api/v1/velocity-tax/eligibility/{accountId}: whether the velocity tax is due, why, and
the estimate at the current band. The account's owner, its organization's stakeholders and admins
(404 to anyone else)."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tax import service
from shared.tax.schemas import EligibilityReply


@functions_framework.http
@endpoint
def get_velocity_tax_eligibility(call: Call) -> Reply:
    account_id = call.params["accountId"]
    for audience in service.viewer_audiences(call.user, account_id):
        call.grant(audience)
    return EligibilityReply.model_validate(service.eligibility(account_id))
