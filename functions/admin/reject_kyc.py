"""POST /api/v1/admin/kyc/{kycId}/reject {reason}: reject a pending KYC; the user becomes DENIED
and may resubmit. Admins; audited."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.identity import kyc
from shared.identity.schemas import Kyc, KycReply


@functions_framework.http
@endpoint
def reject_kyc(call: Call) -> Reply:
    row = kyc.reject(call.params["kycId"], call.user, reason=call.body.reason)
    return KycReply(kyc_record=Kyc.from_row(row))
