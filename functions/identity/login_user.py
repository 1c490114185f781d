"""POST /api/v1/auth/login: email + password -> access and refresh tokens. Public; 5/min per IP.
Issues tokens (holds the signing key)."""

import functions_framework

from shared.api import OWNER
from shared.http import Call, Reply, endpoint
from shared.identity import service
from shared.identity.schemas import Profile, TokenReply


@functions_framework.http
@endpoint
def login_user(call: Call) -> Reply:
    tokens = service.login(
        call.body.email, call.body.password,
        ip=call.client_ip, user_agent=call.request.headers.get("User-Agent"),
    )
    call.grant(OWNER)  # the password proved who they are: their own profile comes back
    return TokenReply(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in, user=Profile.from_row(tokens.profile),
    )
