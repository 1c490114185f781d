"""PATCH /api/v1/users/{id}: change names, phone or identity number. The user themself or an
admin; unknown fields (e.g. nationality) are refused with 422, never silently ignored."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.identity import service
from shared.identity.schemas import Profile, ProfileReply


@functions_framework.http
@endpoint
def update_user(call: Call) -> Reply:
    row = service.update_profile(call.params["id"], call.body)
    return ProfileReply(profile=Profile.from_row(row))
