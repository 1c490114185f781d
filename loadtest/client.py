"""A small synchronous client of the public API, as a wallet or admin front end would use it.

The seeder and the benchmark talk to the system only through this (never through its tables).
Every client carries its own address in the edge gateway's client-IP header, so per-IP limits
(login, registration) see separate callers when the system trusts that header
(GX_CLIENT_IP_HEADER), exactly as behind the production edge gateway.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from urllib3 import PoolManager, Timeout

#: The header the benched / load-tested system is told to trust (GX_CLIENT_IP_HEADER).
CLIENT_IP_HEADER = "X-Loadtest-Client-Ip"

_HTTP = PoolManager(num_pools=4, maxsize=64, retries=False, timeout=Timeout(connect=5, read=60))


class ApiError(RuntimeError):
    """A reply other than the one expected; carries the status and the problem document."""

    def __init__(self, method: str, path: str, status: int, body: bytes) -> None:
        super().__init__(f"{method} {path} -> {status}: {body[:300]!r}")
        self.status = status
        self.body = body


def client_ip(n: int) -> str:
    """The n-th synthetic client address (10.0.0.0/8, distinct for n < 16.7 million)."""
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@dataclass
class Api:
    base_url: str
    ip: str = "10.255.255.254"
    token: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
             raw: bytes | None = None, content_type: str | None = None) -> Any:
        h = {CLIENT_IP_HEADER: self.ip, **self.extra, **(headers or {})}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        elif content_type:
            h["Content-Type"] = content_type
        return _HTTP.request(method, self.base_url.rstrip("/") + path, headers=h, body=payload)

    def json(self, method: str, path: str, body: Any = None, *, expect: int = 200,
             retry_throttled: bool = True, **kw: Any) -> Any:
        """The JSON reply of a call that must answer `expect`; a 429 is waited out (Retry-After)
        and retried when `retry_throttled`, so a seeder pacing itself never fails on a limit."""
        while True:
            resp = self.call(method, path, body, **kw)
            if resp.status == 429 and retry_throttled:
                time.sleep(min(65.0, float(resp.headers.get("Retry-After", "1"))))
                continue
            if resp.status != expect:
                raise ApiError(method, path, resp.status, resp.data)
            return resp.json()

    def login(self, email: str, password: str) -> dict[str, Any]:
        tokens: dict[str, Any] = self.json("POST", "/api/v1/auth/login",
                                           {"email": email, "password": password})
        self.token = tokens["accessToken"]
        return tokens

    def wait_command(self, status_url: str, timeout_s: float = 120.0) -> dict[str, Any]:
        """Poll a command's status until it is final (CONFIRMED, REJECTED or FAILED)."""
        deadline = time.monotonic() + timeout_s
        while True:
            body: dict[str, Any] = self.json("GET", status_url)
            if body["status"] in ("CONFIRMED", "REJECTED", "FAILED", "DEAD"):
                return body
            if time.monotonic() > deadline:
                raise TimeoutError(f"{status_url} still {body['status']} after {timeout_s:.0f} s")
            time.sleep(0.1)
