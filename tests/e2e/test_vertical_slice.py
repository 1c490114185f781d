"""The vertical slice through `make run`, as clients would use it.

Register two people -> upload KYC documents -> the bootstrap operator approves -> both become
ACTIVE with wallets and genesis balances -> a fee preview -> A sends B 100 GX -> the command ends
CONFIRMED -> both balances and both histories show the amount and the fee exactly as quoted ->
the sum of all balances equals the supply. Then two concurrent transfers that only together
overdraw: the chain confirms one and rejects the other, and no balance goes negative.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import CLIENT_IP_HEADER, LiveSystem

pytestmark = pytest.mark.e2e
GX = 1_000_000
PASSWORD = "Sl1ceTestPassword"


class Client:
    """A tiny API client over the live system's HTTP port."""

    def __init__(self, system: LiveSystem, token: str | None = None, ip: str | None = None):
        self.system = system
        self.token = token
        self.ip = ip or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"

    def call(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
             raw: bytes | None = None, content_type: str | None = None) -> Any:
        h = {CLIENT_IP_HEADER: self.ip, **(headers or {})}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        elif content_type:
            h["Content-Type"] = content_type
        return self.system.request(method, path, headers=h, body=payload)

    def json(self, method: str, path: str, body: Any = None, expect: int = 200, **kw: Any) -> Any:
        resp = self.call(method, path, body, **kw)
        assert resp.status == expect, (method, path, resp.status, resp.data[:500])
        return resp.json()


def eventually(check: Any, *, timeout_s: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


def finished(client: Client, location: str, timeout_s: float = 60) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body = client.json("GET", location)
        return body if body["status"] in ("CONFIRMED", "REJECTED", "FAILED") else None

    return eventually(done, timeout_s=timeout_s, what=location)


def multipart(field: str, filename: str, data: bytes, boundary: str = "gxslice") -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()


def pdf(tag: str) -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Title (" + tag.encode() + b") >>\nendobj\n%%EOF\n"


def admin_client(system: LiveSystem) -> Client:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.org"
    proc = subprocess.run(
        [sys.executable, "-m", "shared.cli", "admin", "create", "--email", email, "--role",
         "SUPER_ADMIN"], input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
        env={**os.environ, **system.env},
    )
    assert proc.returncode == 0, proc.stderr
    tokens = Client(system).json(
        "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    return Client(system, tokens["accessToken"])


def onboard(system: LiveSystem, admin: Client, name: str) -> tuple[Client, dict[str, Any]]:
    anon = Client(system)
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.org"
    user = anon.json("POST", "/api/v1/users", {
        "email": email, "password": PASSWORD, "firstName": name, "lastName": "Tester",
        "dateOfBirth": "1990-05-17", "nationalityCountryCode": "NG"}, expect=201)["user"]
    tokens = anon.json("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    me = Client(system, tokens["accessToken"], anon.ip)
    kyc = me.json("POST", f"/api/v1/users/{user['profileId']}/kyc",
                  raw=multipart("document", "passport.pdf", pdf(email)),
                  content_type="multipart/form-data; boundary=gxslice", expect=201)["kycRecord"]
    approval = admin.json("POST", f"/api/v1/admin/kyc/{kyc['kycId']}/approve", expect=202,
                          headers={"Idempotency-Key": f"approve-{kyc['kycId']}"})
    done = finished(admin, approval["statusUrl"])
    assert done["status"] == "CONFIRMED", done
    active = eventually(
        lambda: (p := me.json("GET", f"/api/v1/users/{user['profileId']}")["user"])["status"]
        == "ACTIVE" and p, what=f"{name} ACTIVE")
    return me, active


def balance(client: Client, profile_id: str) -> int:
    return int(client.json("GET", f"/api/v1/wallets/{profile_id}/balance")["balance"]["balance"])


GENESIS = 500 * GX  # phase 1 for NG (rules.md §3.2)


@pytest.fixture(scope="module")
def admin(live_system: LiveSystem) -> Client:
    """The bootstrap operator, once the startup ledger bootstrap has reached the read models."""
    client = admin_client(live_system)
    eventually(lambda: client.json("GET", "/api/v1/system/status")["bootstrapped"],
               what="the ledger bootstrap to be projected")
    return client


def funded(system: LiveSystem, admin: Client, name: str) -> tuple[Client, dict[str, Any]]:
    """An onboarded user whose genesis balance is visible through the API."""
    client, profile = onboard(system, admin, name)
    eventually(lambda: balance(client, profile["profileId"]) == GENESIS, what=f"{name} genesis")
    return client, profile


def test_register_kyc_genesis_transfer_and_conservation(
    live_system: LiveSystem, admin: Client
) -> None:
    a, a_profile = funded(live_system, admin, "ada")
    b, b_profile = funded(live_system, admin, "bola")
    a_id, b_id = a_profile["profileId"], b_profile["profileId"]
    genesis = GENESIS

    amount = 100 * GX
    preview = Client(live_system).json("POST", "/api/v1/fees/calculate", {
        "amount": str(amount), "fromAccountId": a_profile["fabricUserId"],
        "toAccountId": b_profile["fabricUserId"]})
    assert preview["transactionType"] == "P2P" and preview["scope"] == "LOCAL"
    assert int(preview["totalFee"]) == amount * 5 // 10_000  # 3..100 coins, local P2P: 5 bps

    started = time.monotonic()
    accepted = a.json("POST", "/api/v1/transfers", {"toUserId": b_id, "amount": str(amount)},
                      expect=202, headers={"Idempotency-Key": f"slice-{uuid.uuid4()}"})
    assert accepted["quote"] == preview
    done = finished(a, accepted["statusUrl"])
    assert done["status"] == "CONFIRMED", done
    sender_fee, receiver_fee = int(preview["senderFee"]), int(preview["receiverFee"])
    eventually(lambda: a.json("GET", accepted["statusUrl"])["projected"], what="projected")
    # Once the status says so, both wallets show it: no further waiting.
    assert balance(a, a_id) == genesis - amount - sender_fee
    assert balance(b, b_id) == genesis + amount - receiver_fee
    latency = time.monotonic() - started
    print(f"\ncommand-to-projection (one transfer, through the API): {latency * 1000:.0f} ms")

    a_sent = [t for t in a.json("GET", f"/api/v1/wallets/{a_id}/transactions")["transactions"]
              if t["txId"] == done["result"]["txId"]]
    b_got = [t for t in b.json("GET", f"/api/v1/wallets/{b_id}/transactions")["transactions"]
             if t["txId"] == done["result"]["txId"]]
    assert a_sent and b_got
    assert {int(t["fee"]) for t in a_sent} >= {sender_fee}
    assert {int(t["fee"]) for t in b_got} >= {receiver_fee}
    assert all(isinstance(t["blockNumber"], str) for t in a_sent + b_got)

    supply = Client(live_system).json("GET", "/api/v1/tokenomics/supply")["supply"]
    assert supply["accounted"] == supply["totalSupply"] and supply["conserved"]


def test_concurrent_overdraw_confirms_one_and_rejects_the_other(
    live_system: LiveSystem, admin: Client
) -> None:
    """Two transfers that each fit the balance but together overdraw it, sent at once.

    When both pass the read-model pre-check, only the chain can tell: it confirms one and rejects
    the other with INSUFFICIENT_FUNDS. The pipeline is fast enough that the first may already be
    projected when the second is checked (then the second is refused up front with 422); such a
    round proves nothing new, so the race is run again on what is left, a few times at most."""
    a, a_profile = funded(live_system, admin, "chidi")
    _, b_profile = onboard(live_system, admin, "dayo")
    a_id = a_profile["profileId"]

    def send(amount: int) -> Any:
        return a.call("POST", "/api/v1/transfers",
                      {"toUserId": b_profile["profileId"], "amount": str(amount)},
                      headers={"Idempotency-Key": f"overdraw-{uuid.uuid4()}"})

    for _ in range(6):
        before = balance(a, a_id)
        amount = before * 6 // 10  # each fits; both together do not
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            replies = list(pool.map(lambda _: send(amount), range(2)))
        accepted = [r.json() for r in replies if r.status == 202]
        refused = [r.json() for r in replies if r.status != 202]
        assert all(r["code"] == "INSUFFICIENT_FUNDS" for r in refused), refused
        outcomes = sorted(finished(a, x["statusUrl"])["status"] for x in accepted)
        if len(accepted) == 2:
            assert outcomes == ["CONFIRMED", "REJECTED"]
            rejected = next(s for s in (a.json("GET", x["statusUrl"]) for x in accepted)
                            if s["status"] == "REJECTED")
            assert rejected["error"]["code"] == "INSUFFICIENT_FUNDS"
            eventually(lambda: balance(a, a_id) < before, what="the confirmed transfer projected")
            assert balance(a, a_id) >= 0
            return
        assert outcomes == ["CONFIRMED"]
        eventually(lambda: balance(a, a_id) < before, what="the confirmed transfer projected")
        assert balance(a, a_id) >= 0
    raise AssertionError("the two transfers never both passed the pre-check in six rounds")


def test_projection_latency_is_reported(live_system: LiveSystem, admin: Client) -> None:
    """Command accepted -> balances visible through the API, over ten sequential transfers."""
    a, a_profile = funded(live_system, admin, "efe")
    _, b_profile = onboard(live_system, admin, "funmi")
    a_id = a_profile["profileId"]
    samples = []
    for _ in range(10):
        before = balance(a, a_id)
        started = time.monotonic()
        a.json("POST", "/api/v1/transfers", {"toUserId": b_profile["profileId"],
                                             "amount": str(1 * GX)},
               expect=202, headers={"Idempotency-Key": f"lat-{uuid.uuid4()}"})
        eventually(lambda: balance(a, a_id) < before, timeout_s=30, what="projection")
        samples.append(time.monotonic() - started)
    samples.sort()
    print(f"\ncommand-to-projection over {len(samples)} transfers: "
          f"p50 {statistics.median(samples) * 1000:.0f} ms, max {samples[-1] * 1000:.0f} ms")
    assert samples[-1] < 30


def test_kyc_upload_refuses_executables_and_oversized_files(live_system: LiveSystem) -> None:
    anon = Client(live_system)
    email = f"kyc-{uuid.uuid4().hex[:8]}@example.org"
    user = anon.json("POST", "/api/v1/users", {
        "email": email, "password": PASSWORD, "firstName": "Kay", "lastName": "Tester",
        "dateOfBirth": "1992-02-02", "nationalityCountryCode": "KE"}, expect=201)["user"]
    me = Client(live_system, anon.json("POST", "/api/v1/auth/login",
                                       {"email": email, "password": PASSWORD})["accessToken"],
                anon.ip)
    path = f"/api/v1/users/{user['profileId']}/kyc"
    ctype = "multipart/form-data; boundary=gxslice"
    elf = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 4096
    renamed = me.call("POST", path, raw=multipart("document", "passport.pdf", elf),
                      content_type=ctype)
    assert renamed.status == 415 and renamed.json()["code"] == "DOCUMENT_TYPE_NOT_ALLOWED"
    huge = me.call("POST", path, content_type=ctype,
                   raw=multipart("document", "passport.pdf", pdf("big") + b"0" * (11 * 1024 * 1024)))
    assert huge.status == 413
    assert huge.headers["Content-Type"].startswith("application/problem+json")
    assert me.json("GET", path)["kycStatus"] is None  # neither attempt left a record


def test_freeze_genesis_trigger_and_velocity_tax_endpoints(
    live_system: LiveSystem, admin: Client
) -> None:
    a, a_profile = funded(live_system, admin, "gozie")
    b, b_profile = onboard(live_system, admin, "halima")
    a_id = a_profile["profileId"]

    # The manual genesis trigger shares the automatic path's request id: the same command back.
    again = admin.json("POST", "/api/v1/genesis", {"userId": a_id}, expect=202,
                       headers={"Idempotency-Key": f"genesis-{uuid.uuid4()}"})
    assert finished(admin, again["statusUrl"])["status"] == "CONFIRMED"
    assert balance(a, a_id) == GENESIS  # paid once

    frozen = admin.json("POST", f"/api/v1/wallets/{a_id}/freeze", {"reason": "fraud review"},
                        expect=202, headers={"Idempotency-Key": f"freeze-{uuid.uuid4()}"})
    assert finished(admin, frozen["statusUrl"])["status"] == "CONFIRMED"
    eventually(lambda: a.json("GET", f"/api/v1/wallets/{a_id}")["wallet"]["isFrozen"],
               what="frozen flag projected")
    refused = a.call("POST", "/api/v1/transfers", {"toUserId": b_profile["profileId"],
                                                   "amount": "1000"},
                     headers={"Idempotency-Key": f"frozen-{uuid.uuid4()}"})
    assert refused.status == 409 and refused.json()["code"] == "WALLET_FROZEN"
    twice = admin.call("POST", f"/api/v1/wallets/{a_id}/freeze", {"reason": "again please"},
                       headers={"Idempotency-Key": f"freeze-{uuid.uuid4()}"})
    assert twice.status == 409 and twice.json()["code"] == "NO_CHANGE"
    thawed = admin.json("POST", f"/api/v1/wallets/{a_id}/unfreeze", expect=202,
                        headers={"Idempotency-Key": f"unfreeze-{uuid.uuid4()}"})
    assert finished(admin, thawed["statusUrl"])["status"] == "CONFIRMED"
    eventually(lambda: not a.json("GET", f"/api/v1/wallets/{a_id}")["wallet"]["isFrozen"],
               what="unfrozen")

    account = a_profile["fabricUserId"]
    check = a.json("GET", f"/api/v1/velocity-tax/eligibility/{account}")  # the owner
    assert check["eligible"] is False and check["details"]["requiredDays"] == 360
    assert check["details"]["currentBalance"] == str(GENESIS)
    # Nobody else learns an account's balance: no caller 401, another user 404.
    anonymous = Client(live_system).call("GET", f"/api/v1/velocity-tax/eligibility/{account}")
    assert anonymous.status == 401
    assert b.call("GET", f"/api/v1/velocity-tax/eligibility/{account}").status == 404
    apply = admin.call("POST", "/api/v1/velocity-tax/apply", {"accountId": account},
                       headers={"Idempotency-Key": f"vtax-{uuid.uuid4()}"})
    assert apply.status == 409 and apply.json()["code"] == "NOT_ELIGIBLE"
    pools = {p["accountId"]: p for p in Client(live_system).json(
        "GET", "/api/v1/tokenomics/pools")["pools"]}
    assert int(pools["SYSTEM_USER_GENESIS_POOL"]["balance"]) < int(
        pools["SYSTEM_USER_GENESIS_POOL"]["minted"])
