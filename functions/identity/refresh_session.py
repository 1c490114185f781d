"""POST /api/v1/auth/refresh: rotate a refresh token -> new access and refresh tokens. Public (the
refresh token is the credential). A rotated token presented again revokes its whole session."""

import functions_framework

from shared.api import OWNER
from shared.http import Call, Reply, endpoint
from shared.identity import service
from shared.identity.schemas import TokenReply


@functions_framework.http
@endpoint
def refresh_session(call: Call) -> Reply:
    tokens = service.refresh(call.body.refresh_token)
    call.grant(OWNER)  # the refresh token is the credential of the profile it names
    return TokenReply(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )
