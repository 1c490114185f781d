"""Locust journeys against the public API: a wallet user, a payer and an admin.

    gx loadtest seed --host http://127.0.0.1:8080 --users 50      # funded users, via the API
    locust -f loadtest/locustfile.py --headless --host http://127.0.0.1:8080 \
        --run-time 60s --csv loadtest/results/run --seed-file loadtest/results/seed.json

The host comes only from --host. Each simulated person logs in once (`on_start`) and carries its
own address in the edge gateway's client-IP header (start the system with
GX_CLIENT_IP_HEADER=X-Loadtest-Client-Ip), so per-IP login limits apply per person as in
production. The load follows `shapes.RampPlateauSpike` and stops by itself at --run-time.
Requests the rate limits refuse are recorded as failures named "429 rate limited" (expected under
pressure); any other failure is a defect.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

from loadtest.client import CLIENT_IP_HEADER, client_ip
from loadtest.seed import SeedData
from loadtest.shapes import RampPlateauSpike

__all__ = ["Admin", "Payer", "RampPlateauSpike", "WalletUser"]

_SEED: dict[str, SeedData] = {}
_ADDRESSES = itertools.count(200_000)  # distinct per simulated person in this process
_PEOPLE = itertools.count()
FINAL = ("CONFIRMED", "REJECTED", "FAILED", "DEAD")


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--seed-file", default="loadtest/results/seed.json",
                        help="users created by `gx loadtest seed`")
    parser.add_argument("--peak-users", type=int, default=30, help="users at the spike")
    parser.add_argument("--admin-email", env_var="GX_BOOTSTRAP_ADMIN_EMAIL", default="",
                        help="admin account for the admin journey")
    parser.add_argument("--admin-password", env_var="GX_BOOTSTRAP_ADMIN_PASSWORD", default="",
                        is_secret=True, help="its password (or GX_BOOTSTRAP_ADMIN_PASSWORD)")


def seed_data(environment: Any) -> SeedData:
    path = str(environment.parsed_options.seed_file)
    if path not in _SEED:
        _SEED[path] = SeedData.load(Path(path))
    return _SEED[path]


class _Person(FastHttpUser):
    abstract = True
    ip = ""
    token = ""

    def headers(self, **extra: str) -> dict[str, str]:
        return {CLIENT_IP_HEADER: self.ip, **extra}

    def expect(self, method: str, path: str, *, name: str, status: int = 200,
               **kw: Any) -> Any:
        """One request; anything but `status` is a failure, a 429 one named as expected."""
        with self.client.request(method, path, name=name, catch_response=True,
                                 **kw) as resp:
            if resp.status_code == status:
                return resp
            if resp.status_code == 429:
                resp.failure("429 rate limited")
            else:
                resp.failure(f"HTTP {resp.status_code}: {(resp.text or '')[:200]}")
            return None

    def log_in(self, email: str, password: str) -> None:
        self.ip = client_ip(next(_ADDRESSES))
        for _ in range(5):
            resp = self.expect("POST", "/api/v1/auth/login", name="/api/v1/auth/login",
                               json={"email": email, "password": password},
                               headers=self.headers())
            if resp is not None:
                self.token = resp.json()["accessToken"]
                return
            time.sleep(1.0)
        raise StopUser()

    def authed(self, **extra: str) -> dict[str, str]:
        return self.headers(Authorization=f"Bearer {self.token}", **extra)


class WalletUser(_Person):
    """Logs in once, then reads: balance, history pages (following the cursor), profile."""

    weight = 6
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        seed = seed_data(self.environment)
        self.me = seed.users[next(_PEOPLE) % len(seed.users)]
        self.log_in(self.me.email, seed.password)

    @task(5)
    def balance(self) -> None:
        self.expect("GET", f"/api/v1/wallets/{self.me.profile_id}/balance",
                    name="/api/v1/wallets/[id]/balance", headers=self.authed())

    @task(3)
    def history(self) -> None:
        url = f"/api/v1/wallets/{self.me.profile_id}/transactions?limit=10"
        for _ in range(3):
            resp = self.expect("GET", url, name="/api/v1/wallets/[id]/transactions",
                               headers=self.authed())
            cursor = resp.json().get("nextCursor") if resp is not None else None
            if not cursor:
                return
            url = (f"/api/v1/wallets/{self.me.profile_id}/transactions?limit=10"
                   f"&after={cursor}")

    @task(2)
    def profile(self) -> None:
        self.expect("GET", f"/api/v1/users/{self.me.profile_id}", name="/api/v1/users/[id]",
                    headers=self.authed())


class Payer(_Person):
    """Sends small transfers with fresh Idempotency-Keys (now and then a replay of the last one)
    and polls each command until the ledger has decided."""

    weight = 3
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        seed = seed_data(self.environment)
        self.seed = seed
        self.me = seed.users[next(_PEOPLE) % len(seed.users)]
        self.log_in(self.me.email, seed.password)
        self.last: tuple[str, dict[str, str]] | None = None

    def _recipient(self) -> str:
        others = [u for u in self.seed.users if u.profile_id != self.me.profile_id]
        return random.choice(others).profile_id

    @task(4)
    def transfer(self) -> None:
        key = f"lt-{uuid.uuid4()}"
        body = {"toUserId": self._recipient(), "amount": "1000000", "remark": "load test"}
        resp = self.expect("POST", "/api/v1/transfers", name="/api/v1/transfers", status=202,
                           json=body, headers=self.authed(**{"Idempotency-Key": key}))
        if resp is None:
            return
        self.last = (key, body)
        self.poll(resp.json()["statusUrl"])

    @task(1)
    def replay(self) -> None:
        """The same key and body again (a client retry): the first reply, not a second command."""
        if self.last is None:
            return
        key, body = self.last
        resp = self.expect("POST", "/api/v1/transfers", name="/api/v1/transfers (replay)",
                           status=202, json=body,
                           headers=self.authed(**{"Idempotency-Key": key}))
        if resp is not None and resp.headers.get("Idempotent-Replayed") != "true":
            events.request.fire(request_type="CHECK", name="replay marked", response_time=0,
                                response_length=0, exception=AssertionError("not replayed"),
                                context={})

    def poll(self, status_url: str) -> None:
        for _ in range(50):
            resp = self.expect("GET", status_url, name="/api/v1/commands/[id]",
                               headers=self.authed())
            if resp is None:
                return
            status = resp.json()["status"]
            if status in FINAL:
                if status != "CONFIRMED":
                    events.request.fire(request_type="CHECK", name="transfer confirmed",
                                        response_time=0, response_length=0, context={},
                                        exception=AssertionError(f"transfer {status}"))
                return
            time.sleep(0.2)


class Admin(_Person):
    """Reviews: the KYC queue and the user list."""

    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        if not options.admin_email or not options.admin_password:
            raise StopUser()  # no admin account given: the other journeys still run
        self.log_in(options.admin_email, options.admin_password)

    @task(2)
    def kyc_queue(self) -> None:
        self.expect("GET", "/api/v1/admin/kyc?limit=20", name="/api/v1/admin/kyc",
                    headers=self.authed())

    @task(1)
    def users(self) -> None:
        self.expect("GET", "/api/v1/admin/users?limit=20", name="/api/v1/admin/users",
                    headers=self.authed())
