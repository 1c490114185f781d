"""GET /api/v1/users/{id}/trust-score: the chain's trust score with its breakdown and whether it
reaches the loan minimum. The user (profile id) or an admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.relationships import service
from shared.relationships.schemas import TrustScoreReply


@functions_framework.http
@endpoint
def get_trust_score(call: Call) -> Reply:
    return TrustScoreReply.model_validate({"trustScore": service.trust_score(call.params["id"])})
