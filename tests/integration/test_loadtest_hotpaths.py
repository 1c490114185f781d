"""Behaviour kept by the hot-path changes made for the benchmark: the per-process cache of
verified access tokens, the gateway's prefix-indexed routing and its Flask-free /health."""

from __future__ import annotations

import time
from typing import Any

import pytest

from shared import auth
from shared.errors import Unauthorized
from shared.runtime.gateway import Gateway
from tests.helpers import token


def test_a_cached_token_is_still_refused_once_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    value, claims = auth.issue(sub="cache-user", role="USER", typ="access", ttl_s=60)
    first = auth.verify(f"Bearer {value}")
    assert auth.verify(f"Bearer {value}") is first  # served from the cache
    later = claims["exp"] + auth.LEEWAY_S + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthorized) as exc:
        auth.verify(f"Bearer {value}")
    assert exc.value.code == "TOKEN_EXPIRED"


def test_the_cache_never_admits_what_verification_refuses() -> None:
    good = token("cache-user-2")
    auth.verify(f"Bearer {good}")
    header, payload, signature = good.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    for bad in (forged, token("cache-user-2", typ="refresh"), good + "x"):
        with pytest.raises(Unauthorized):
            auth.verify(f"Bearer {bad}")


def _brute_force(gw: Gateway, method: str, path: str) -> tuple[Any, list[str]]:
    allowed: list[str] = []
    chosen = None
    for spec in gw.http_specs:
        if spec.match(path) is None:
            continue
        if spec.method not in allowed:
            allowed.append(spec.method)
        if chosen is None and spec.method == method:
            chosen = spec
    if chosen is None and method == "OPTIONS" and allowed:
        chosen = next(s for s in gw.http_specs if s.match(path) is not None)
    return chosen, allowed


def test_prefix_routing_picks_what_a_scan_of_every_route_picks() -> None:
    from knative.registry import http_functions

    gw = Gateway(http_functions())
    for spec in gw.http_specs:
        path = spec.path or ""
        concrete = path.replace("{", "x").replace("}", "")
        for variant in (path, concrete, concrete + "/", concrete + "/more", path.rsplit("/", 1)[0],
                        "/", "/api", "/api/v1", "/api/v1/", "/nowhere/at/all"):
            for method in ("GET", "POST", "PATCH", "DELETE", "OPTIONS"):
                got, allowed = gw.route(method, variant)
                want, want_allowed = _brute_force(gw, method, variant)
                assert (got and got.name) == (want and want.name), (method, variant)
                assert allowed == want_allowed, (method, variant)


def test_health_is_answered_without_routing_with_the_usual_headers() -> None:
    from knative.registry import http_functions

    client = Gateway(http_functions()).http_app
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.update(status=status, headers=dict(headers))

    body = b"".join(client({"PATH_INFO": "/health", "REQUEST_METHOD": "GET"}, start_response))
    assert seen["status"] == "200 OK" and body == b'{"status":"ok"}'
    headers = seen["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(body))
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert len(headers["X-Request-Id"]) >= 8
