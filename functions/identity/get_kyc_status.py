"""GET /api/v1/users/{id}/kyc: the newest KYC record of a user (or null). Self or admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.identity import kyc
from shared.identity.schemas import Kyc, KycStatusReply


@functions_framework.http
@endpoint
def get_kyc_status(call: Call) -> Reply:
    row = kyc.latest(call.params["id"])
    return KycStatusReply(kyc_status=Kyc.from_row(row) if row else None)
