"""Helpers for identity function tests: unique users and client IPs (rate limits are per IP)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from tests.helpers import client_for

PASSWORD = "Str0ngPassw0rd"


def random_ip() -> str:
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


class Api:
    """Calls registered functions through their functions-framework apps, from one client IP."""

    def __init__(self) -> None:
        self.ip = random_ip()

    def call(self, name: str, method: str, path: str, **kw: Any) -> Any:
        kw.setdefault("environ_base", {"REMOTE_ADDR": self.ip})
        return getattr(client_for(name), method.lower())(path, **kw)

    def register(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "email": f"u{uuid.uuid4().hex[:12]}@example.org",
            "password": PASSWORD,
            "firstName": "Ada",
            "lastName": "Obi",
            "dateOfBirth": "1990-05-17",
            "nationalityCountryCode": "NG",
            **overrides,
        }
        resp = self.call("register_user", "POST", "/api/v1/users", json=body)
        assert resp.status_code == 201, resp.get_json()
        return {**resp.get_json()["user"], "password": body["password"]}

    def login(self, email: str, password: str = PASSWORD) -> Any:
        return self.call("login_user", "POST", "/api/v1/auth/login",
                         json={"email": email, "password": password})


@pytest.fixture
def api() -> Api:
    return Api()


_admins: dict[str, str] = {}


def admin_headers(role: str = "ADMIN") -> dict[str, str]:
    """A bearer header for a real (provisioned, ACTIVE) admin account of `role`."""
    from shared.identity.service import create_account
    from tests.helpers import bearer

    if role not in _admins:
        row = create_account(
            email=f"{role.lower()}-{uuid.uuid4().hex[:8]}@example.org", password=PASSWORD,
            role=role, first_name="Test", last_name="Admin",
        )
        _admins[role] = str(row["profile_id"])
    return bearer(sub=_admins[role], role=role)
