"""The load-test tooling against a live system (`gx dev` on its own database and ports): the
API seeder, a short headless locust run of every journey, and the load generator."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtest import loadgen, system
from loadtest.client import Api
from loadtest.seed import SeedData, seed

GX = 1_000_000
LOCUST_SECONDS = 12


@pytest.fixture(scope="module")
def live() -> Iterator[system.System]:
    sut = system.start(
        server_database_url=os.environ["GX_TEST_BASE_DATABASE_URL"],
        redis_url=os.environ["GX_REDIS_URL"], s3_endpoint=os.environ["GX_S3_ENDPOINT"],
        workers=2, threads=4,
    )
    try:
        yield sut
    finally:
        system.stop(sut)
    assert sut.process is not None and sut.process.returncode == 0, sut.log_tail()


@pytest.fixture(scope="module")
def seeded(live: system.System, tmp_path_factory: pytest.TempPathFactory) -> tuple[SeedData, Path]:
    data = seed(live.base_url, users=6, admin_email=live.admin_email,
                admin_password=live.admin_password, concurrency=3, log=lambda _: None)
    path = tmp_path_factory.mktemp("seed") / "seed.json"
    data.save(path)
    return data, path


def test_seeder_creates_active_funded_users_through_the_api(
    live: system.System, seeded: tuple[SeedData, Path]
) -> None:
    data, path = seeded
    loaded = SeedData.load(path)
    assert loaded.users == data.users and loaded.password == data.password
    assert len({u.profile_id for u in data.users}) == 6
    for user in data.users:
        api = Api(live.base_url, ip=user.ip)
        api.login(user.email, data.password)
        profile = api.json("GET", f"/api/v1/users/{user.profile_id}")["user"]
        assert profile["status"] == "ACTIVE" and profile["fabricUserId"] == user.fabric_user_id
        balance = api.json("GET", f"/api/v1/wallets/{user.profile_id}/balance")["balance"]
        assert int(balance["balance"]) == 500 * GX  # genesis, phase 1 for NG


def test_headless_locust_run_has_no_unexpected_failures(
    live: system.System, seeded: tuple[SeedData, Path], tmp_path: Path
) -> None:
    _, seed_file = seeded
    prefix = tmp_path / "run"
    env = {**os.environ, "GX_BOOTSTRAP_ADMIN_EMAIL": live.admin_email,
           "GX_BOOTSTRAP_ADMIN_PASSWORD": live.admin_password}
    proc = subprocess.run(
        [sys.executable, "-m", "locust", "-f", "loadtest/locustfile.py", "--headless",
         "--host", live.base_url, "--run-time", f"{LOCUST_SECONDS}s", "--peak-users", "12",
         "--seed-file", str(seed_file), "--csv", str(prefix), "--only-summary",
         "--exit-code-on-error", "0"],
        check=False, cwd=system.PROJECT_ROOT, env=env, capture_output=True, text=True,
        timeout=LOCUST_SECONDS + 60,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(f"{prefix}_stats.csv", newline="") as f:
        stats = {row["Name"]: row for row in csv.DictReader(f)}
    with open(f"{prefix}_failures.csv", newline="") as f:
        failures = list(csv.DictReader(f))
    unexpected = [f for f in failures if not f["Error"].startswith("429")]
    assert not unexpected, unexpected
    for journey_request in ("/api/v1/auth/login", "/api/v1/wallets/[id]/balance",
                            "/api/v1/wallets/[id]/transactions", "/api/v1/transfers",
                            "/api/v1/commands/[id]", "/api/v1/admin/kyc"):
        assert int(stats[journey_request]["Request Count"]) > 0, journey_request
    assert int(stats["Aggregated"]["Request Count"]) > 50


def test_load_generator_counts_only_the_measured_window(live: system.System) -> None:
    port = int(live.base_url.rsplit(":", 1)[1])
    health = loadgen.request_bytes("GET", "/health", f"127.0.0.1:{port}")
    closed = loadgen.closed_loop("127.0.0.1", port, lambda k, n: health, connections=4,
                                 duration_s=1.0, warmup_s=0.3)
    assert closed.count > 50 and set(closed.statuses) == {200} and closed.errors == 0
    paced = loadgen.open_loop("127.0.0.1", port, lambda k, n: health, rate=40, connections=4,
                              duration_s=1.0, warmup_s=0.25)
    assert 30 <= paced.count <= 50  # 40/s for one measured second, not "as fast as possible"
    missing = loadgen.request_bytes("GET", "/api/v1/nowhere", f"127.0.0.1:{port}")
    replies = loadgen.closed_loop("127.0.0.1", port, lambda k, n: missing, connections=2,
                                  duration_s=0.5, warmup_s=0.0)
    assert set(replies.statuses) == {404}
