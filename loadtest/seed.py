"""Seed data for load tests: N funded users, created through the public API only.

For each user, as a person would: register -> log in -> upload a KYC document; then an admin
(logged in through the API) approves each KYC, which queues the on-chain registration and the
genesis distribution; the seeder waits until every user is ACTIVE with a funded wallet. The result
(emails, ids, the shared synthetic password) is written to a JSON file that the locust journeys
and the benchmark read. Nothing here touches a table.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loadtest.client import Api, ApiError, client_ip

DEFAULT_COUNTRY = "NG"


@dataclass
class SeededUser:
    email: str
    profile_id: str
    fabric_user_id: str
    ip: str


@dataclass
class SeedData:
    host: str
    password: str
    users: list[SeededUser] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "password": self.password, "seconds": round(self.seconds, 1),
                "users": [asdict(u) for u in self.users]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SeedData:
        return cls(host=data["host"], password=data["password"], seconds=data.get("seconds", 0.0),
                   users=[SeededUser(**u) for u in data["users"]])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1))

    @classmethod
    def load(cls, path: Path) -> SeedData:
        return cls.from_json(json.loads(path.read_text()))


def synthetic_password() -> str:
    """Meets the registration policy (upper, lower, digit, >= 8 characters)."""
    return f"Lt{secrets.token_hex(8)}9x"


def pdf(tag: str) -> bytes:
    """A tiny, well-formed PDF (the KYC upload checks the file's magic bytes)."""
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Title (" + tag.encode()
            + b") >>\nendobj\n%%EOF\n")


def multipart(field_name: str, filename: str, data: bytes, boundary: str) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field_name}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + data \
        + f"\r\n--{boundary}--\r\n".encode()


def wait_bootstrapped(api: Api, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not api.json("GET", "/api/v1/system/status").get("bootstrapped"):
        if time.monotonic() > deadline:
            raise TimeoutError("the ledger bootstrap was not projected in time")
        time.sleep(0.2)


def _onboard(base_url: str, n: int, run: str, password: str, country: str) -> dict[str, Any]:
    """Register, log in and upload KYC for user n; the KYC record to approve."""
    api = Api(base_url, ip=client_ip(n))
    email = f"lt-{run}-{n}@loadtest.example.org"
    user = api.json("POST", "/api/v1/users", {
        "email": email, "password": password, "firstName": "Load", "lastName": f"Tester{n}",
        "dateOfBirth": "1990-05-17", "nationalityCountryCode": country}, expect=201)["user"]
    api.login(email, password)
    boundary = f"gxseed{uuid.uuid4().hex}"
    kyc = api.json("POST", f"/api/v1/users/{user['profileId']}/kyc",
                   raw=multipart("document", "passport.pdf", pdf(email), boundary),
                   content_type=f"multipart/form-data; boundary={boundary}",
                   expect=201)["kycRecord"]
    return {"email": email, "profileId": user["profileId"], "kycId": kyc["kycId"],
            "ip": api.ip, "token": api.token}


def seed(base_url: str, *, users: int, admin_email: str, admin_password: str,
         concurrency: int = 8, country: str = DEFAULT_COUNTRY, first_ip: int = 1000,
         log: Any = print) -> SeedData:
    """Create `users` ACTIVE, funded users through the API; see the module docstring."""
    started = time.monotonic()
    run = secrets.token_hex(3)
    password = synthetic_password()
    admin = Api(base_url, ip=client_ip(first_ip - 1))
    admin.login(admin_email, admin_password)
    wait_bootstrapped(admin)

    with ThreadPoolExecutor(concurrency) as pool:
        onboarded = list(pool.map(
            lambda i: _onboard(base_url, first_ip + i, run, password, country), range(users)))
    log(f"seed: {users} users registered with KYC uploaded "
        f"({time.monotonic() - started:.1f} s); approving")

    def approve(u: dict[str, Any]) -> dict[str, Any]:
        accepted = admin.json("POST", f"/api/v1/admin/kyc/{u['kycId']}/approve", {},
                              expect=202, headers={"Idempotency-Key": f"seed-approve-{u['kycId']}"})
        return admin.wait_command(accepted["statusUrl"])

    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(approve, onboarded))
    failed = [o for o in outcomes if o["status"] != "CONFIRMED"]
    if failed:
        raise RuntimeError(f"{len(failed)} KYC approvals did not confirm: {failed[0]}")

    def funded(u: dict[str, Any]) -> SeededUser:
        api = Api(base_url, ip=u["ip"], token=u["token"])
        deadline = time.monotonic() + 120
        while True:
            profile = api.json("GET", f"/api/v1/users/{u['profileId']}")["user"]
            if profile["status"] == "ACTIVE" and profile.get("fabricUserId"):
                try:
                    balance = api.json("GET", f"/api/v1/wallets/{u['profileId']}/balance")
                    if int(balance["balance"]["balance"]) > 0:
                        return SeededUser(u["email"], u["profileId"], profile["fabricUserId"],
                                          u["ip"])
                except ApiError as exc:
                    if exc.status != 404:  # no wallet projected yet
                        raise
            if time.monotonic() > deadline:
                raise TimeoutError(f"{u['email']} not ACTIVE and funded after 120 s")
            time.sleep(0.2)

    with ThreadPoolExecutor(concurrency) as pool:
        seeded = list(pool.map(funded, onboarded))
    data = SeedData(host=base_url, password=password, users=seeded,
                    seconds=time.monotonic() - started)
    log(f"seed: {users} users ACTIVE and funded in {data.seconds:.1f} s")
    return data
