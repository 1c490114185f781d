"""POST /api/v1/auth/logout: end the session of a refresh token; it stops working at once."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.identity import service
from shared.identity.schemas import MessageReply


@functions_framework.http
@endpoint
def logout_session(call: Call) -> Reply:
    service.logout(call.body.refresh_token)
    return MessageReply(message="logged out")
