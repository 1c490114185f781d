"""POST /api/v1/users: register an account (status REGISTERED). Public; 5/min per IP (its own
counter, separate from login). Off-chain write; on-chain registration follows KYC approval. 201."""

import functions_framework

from shared.api import OWNER
from shared.http import Call, Reply, endpoint
from shared.identity import service
from shared.identity.schemas import Profile, UserReply


@functions_framework.http
@endpoint
def register_user(call: Call) -> Reply:
    row = service.register(call.body)
    call.grant(OWNER)  # the profile just created is the caller's own
    return UserReply(user=Profile.from_row(row)), 201, {"Location": f"/api/v1/users/{row['profile_id']}"}
