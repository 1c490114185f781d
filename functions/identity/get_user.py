"""GET /api/v1/users/{id}: a user's profile. The user themself or an admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.identity import service
from shared.identity.schemas import Profile, UserReply


@functions_framework.http
@endpoint
def get_user(call: Call) -> Reply:
    return UserReply(user=Profile.from_row(service.get_profile(call.params["id"])))
