"""Register -> login -> profile -> refresh (rotation) -> logout, and what must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from shared.auth import generate_keypair
from shared.config import get_settings
from tests.functions.identity.conftest import PASSWORD, Api


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_register_login_profile_refresh_logout(api: Api) -> None:
    user = api.register(email="Mixed.Case@Example.org")
    assert user["email"] == "mixed.case@example.org" and user["status"] == "REGISTERED"
    assert "password" not in json.dumps({k: v for k, v in user.items() if k != "password"})

    login = api.login("MIXED.case@example.org")
    assert login.status_code == 200, login.get_json()
    tokens = login.get_json()
    assert tokens["user"]["profileId"] == user["profileId"]

    me = api.call("get_user", "GET", f"/api/v1/users/{user['profileId']}",
                  headers=auth(tokens["accessToken"]))
    assert me.status_code == 200 and me.get_json()["user"]["email"] == user["email"]
    assert me.headers["Cache-Control"] == "no-store"

    refreshed = api.call("refresh_session", "POST", "/api/v1/auth/refresh",
                         json={"refreshToken": tokens["refreshToken"]})
    assert refreshed.status_code == 200
    new = refreshed.get_json()
    assert new["refreshToken"] != tokens["refreshToken"]

    # The old refresh token no longer works ... and its reuse revoked the session.
    again = api.call("refresh_session", "POST", "/api/v1/auth/refresh",
                     json={"refreshToken": tokens["refreshToken"]})
    assert again.status_code == 401
    assert again.get_json()["code"] == "REFRESH_TOKEN_REUSED"
    after_reuse = api.call("refresh_session", "POST", "/api/v1/auth/refresh",
                           json={"refreshToken": new["refreshToken"]})
    assert after_reuse.status_code == 401 and after_reuse.get_json()["code"] == "SESSION_ENDED"

    # A fresh session: logout ends it, and its refresh token stops working.
    second = api.login(user["email"]).get_json()
    out = api.call("logout_session", "POST", "/api/v1/auth/logout",
                   json={"refreshToken": second["refreshToken"]})
    assert out.status_code == 200
    dead = api.call("refresh_session", "POST", "/api/v1/auth/refresh",
                    json={"refreshToken": second["refreshToken"]})
    assert dead.status_code == 401


def test_login_refusals_do_not_reveal_which_part_was_wrong(api: Api) -> None:
    user = api.register()
    wrong = api.login(user["email"], "Wr0ngPassword")
    unknown = api.login("nobody-here@example.org")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]


def test_duplicate_email_in_other_case_is_409(api: Api) -> None:
    user = api.register()
    other = Api()
    resp = other.call("register_user", "POST", "/api/v1/users", json={
        "email": user["email"].upper(), "password": PASSWORD, "firstName": "B", "lastName": "C",
        "dateOfBirth": "1991-01-01", "nationalityCountryCode": "KE"})
    assert resp.status_code == 409 and resp.get_json()["code"] == "EMAIL_TAKEN"


@pytest.mark.parametrize("field,value", [
    ("password", "weakpassword"), ("nationalityCountryCode", "ZZ"), ("email", "not-an-email"),
    ("dateOfBirth", "2999-01-01"), ("firstName", ""),
])
def test_registration_validation_is_422_naming_the_field(api: Api, field: str, value: str) -> None:
    body = {"email": "x1@example.org", "password": PASSWORD, "firstName": "A", "lastName": "B",
            "dateOfBirth": "1990-01-01", "nationalityCountryCode": "NG", field: value}
    resp = api.call("register_user", "POST", "/api/v1/users", json=body)
    assert resp.status_code == 422
    assert field in {e["field"] for e in resp.get_json()["errors"]}


def test_patch_refuses_unknown_fields_and_other_users(api: Api) -> None:
    a, b = api.register(), api.register()
    token = api.login(a["email"]).get_json()["accessToken"]
    ok = api.call("update_user", "PATCH", f"/api/v1/users/{a['profileId']}",
                  json={"firstName": "Grace"}, headers=auth(token))
    assert ok.status_code == 200 and ok.get_json()["profile"]["firstName"] == "Grace"
    sneaky = api.call("update_user", "PATCH", f"/api/v1/users/{a['profileId']}",
                      json={"nationalityCountryCode": "US"}, headers=auth(token))
    assert sneaky.status_code == 422
    other = api.call("update_user", "PATCH", f"/api/v1/users/{b['profileId']}",
                     json={"firstName": "Eve"}, headers=auth(token))
    assert other.status_code == 403


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(alg: str, claims: dict) -> str:  # type: ignore[type-arg]
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}"


def test_forged_and_misused_tokens_are_401(api: Api) -> None:
    user = api.register()
    tokens = api.login(user["email"]).get_json()
    good = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
    other_private, _ = generate_keypair()
    other_key = load_pem_private_key(other_private.encode(), None)
    public_pem = get_settings().jwt_public_key.encode()
    hs_input = _unsigned("HS256", good)
    hs_sig = _b64(hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest())
    now = int(time.time())
    attacks = {
        "another key": jwt.encode(good, other_key, algorithm="EdDSA"),
        "alg none": _unsigned("none", good) + ".",
        "HS256 with the public key": f"{hs_input}.{hs_sig}",
        "expired": _resign({**good, "exp": now - 120, "iat": now - 1000}),
        "wrong aud": _resign({**good, "aud": "someone-else"}),
        "wrong iss": _resign({**good, "iss": "evil"}),
        "refresh as access": tokens["refreshToken"],
    }
    for name, token in attacks.items():
        resp = api.call("get_user", "GET", f"/api/v1/users/{user['profileId']}",
                        headers=auth(token))
        assert resp.status_code == 401, name
    assert api.call("get_user", "GET", f"/api/v1/users/{user['profileId']}",
                    headers=auth(_resign(good))).status_code == 200  # the re-signer is honest


def _resign(claims: dict) -> str:  # type: ignore[type-arg]
    from shared.auth import ALGORITHM, _private_key

    return jwt.encode(claims, _private_key(get_settings().jwt_private_key), algorithm=ALGORITHM)


def test_sixth_login_in_a_minute_is_429_and_register_has_its_own_budget(api: Api) -> None:
    user = api.register()
    statuses = [api.login(user["email"], "Wr0ngPassword").status_code for _ in range(5)]
    assert statuses == [401] * 5
    sixth = api.login(user["email"])
    assert sixth.status_code == 429 and int(sixth.headers["Retry-After"]) >= 1
    assert sixth.headers["RateLimit-Remaining"] == "0"
    # registrations from the same IP still work: separate counters (gaps B6)
    api.register()
    api.register()
