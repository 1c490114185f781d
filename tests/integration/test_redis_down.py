"""What the README promises when Redis is down: strict limits (login, registration) fail closed
with 503 + Retry-After; ordinary limits fail open, so fee previews and payments keep working."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.cache import reset_redis
from shared.config import reset_settings
from shared.runtime.embedded import free_port
from tests.helpers import client_for


@pytest.fixture
def redis_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GX_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    reset_settings()
    reset_redis()
    yield
    monkeypatch.undo()
    reset_settings()
    reset_redis()


def _redis_down_count(limiter: str, policy: str) -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(
        "gx_ratelimit_redis_unavailable_total", {"limiter": limiter, "policy": policy})
    return value or 0.0


def test_login_fails_closed_and_fee_preview_fails_open(redis_down: None) -> None:
    env = {"REMOTE_ADDR": "10.99.0.1"}
    closed_before = _redis_down_count("login", "closed")
    login = client_for("login_user").post(
        "/api/v1/auth/login", json={"email": "a@example.org", "password": "Whatever1A"},
        environ_base=env)
    assert login.status_code == 503
    assert login.get_json()["code"] == "SERVICE_UNAVAILABLE" and login.headers["Retry-After"]

    register = client_for("register_user").post("/api/v1/users", json={}, environ_base=env)
    assert register.status_code == 503

    preview = client_for("calculate_fee").post(
        "/api/v1/fees/calculate", json={"amount": "5000000"}, environ_base=env)
    assert preview.status_code == 200, preview.get_json()
    assert preview.get_json()["totalFee"] == "2500"  # 5 coins, local P2P: 5 bps
    # Both policies are counted, so the fail-open alert can tell payments ran unthrottled.
    assert _redis_down_count("login", "closed") == closed_before + 1
