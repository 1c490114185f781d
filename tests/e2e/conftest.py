"""End-to-end fixtures: the real `gx dev` process tree, reached over HTTP like a client would.

`live_system` (session) starts `gx dev` against a database of its own on the run's PostgreSQL
server, the run's Redis (own key prefix) and S3, on free ports; waits until /ready answers 200
(at most 90 s); yields a `LiveSystem`; and at teardown sends SIGTERM and asserts that `gx dev`
exited cleanly, that no process it started is still running and that none of its ports is still
listening. Tokens minted with `tests.helpers.token()` are valid there: it shares the run's keys.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
from psycopg import sql
from urllib3 import PoolManager
from urllib3.exceptions import HTTPError

from shared.runtime.embedded import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
READY_TIMEOUT_S = 90.0
CLIENT_IP_HEADER = "X-Edge-Client-Ip"
STOP_TIMEOUT_S = 60.0
_HTTP = PoolManager(retries=False)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LiveSystem:
    """A running `gx dev`: where to reach it and the environment it was started with."""

    base_url: str
    env: dict[str, str]
    ports: dict[str, int]
    database_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    seen: dict[int, float] = field(default_factory=dict)  # pid -> create_time of descendants

    @property
    def broker_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['broker']}/"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(self, method: str, path: str, **kw: Any) -> Any:
        return _HTTP.request(method, self.url(path), **kw)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def track_descendants(self) -> None:
        """Remember every process `gx dev` has started so far (restarts included)."""
        if self.process is None:
            return
        try:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                try:
                    self.seen[child.pid] = child.create_time()
                except psutil.NoSuchProcess:
                    pass
        except psutil.NoSuchProcess:
            pass

    def survivors(self) -> list[str]:
        alive = []
        for pid, created in self.seen.items():
            try:
                proc = psutil.Process(pid)
                if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{pid} {' '.join(proc.cmdline())[:120]}")
            except psutil.NoSuchProcess:
                continue
        return alive


def start_gx_dev(database_url: str, home: Path) -> LiveSystem:
    ports = {"http": free_port(), "events": free_port(), "broker": free_port(),
             "metrics": free_port()}
    env = dict(os.environ)
    env.pop("GX_BROKER_URL", None)  # gx dev points functions at its own broker
    env.update(
        {
            "GX_DATABASE_URL": database_url,
            "GX_REDIS_PREFIX": f"{os.environ.get('GX_REDIS_PREFIX', 'gx-test:')}e2e-"
            f"{secrets.token_hex(3)}:",
            "GX_HOME": str(home),
            "GX_PORT": str(ports["http"]),
            "GX_EVENTS_PORT": str(ports["events"]),
            "GX_BROKER_PORT": str(ports["broker"]),
            "GX_METRICS_PORT": str(ports["metrics"]),
            # Its own audit chain (its own database) anchors under its own prefix: sharing the
            # run's prefix would make the in-process tests' chain look rewritten.
            "GX_AUDIT_ANCHOR_PREFIX": f"{os.environ.get('GX_AUDIT_ANCHOR_PREFIX', 'test')}"
                                      f"-e2e-{secrets.token_hex(3)}",
            "GX_WORKERS": "2",
            "GX_THREADS": "4",
            "GX_DB_POOL_MAX": "4",  # several processes share the run's PostgreSQL
            "GX_HOT_READ_CACHE_S": "1",  # as in production (the in-process tests turn it off)
            "GX_DEV_STOP_GRACE_S": "10",
            # As behind an edge gateway that stamps the client address: end-to-end clients
            # carry distinct addresses, so per-IP rate limits see separate callers.
            "GX_CLIENT_IP_HEADER": CLIENT_IP_HEADER,
            "PYTHONUNBUFFERED": "1",
        }
    )
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "gx-dev.log"
    # `gx dev` run from the project root with the root first on sys.path (as `python -m` does),
    # whatever state the virtualenv's editable install is in.
    argv = [sys.executable, "-c", "import sys; from shared.cli import main; sys.exit(main())",
            "dev"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT)
    system = LiveSystem(
        base_url=f"http://127.0.0.1:{ports['http']}", env=env, ports=ports,
        database_url=database_url, log_path=log_path, process=process,
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        system.track_descendants()
        if process.poll() is not None:
            raise AssertionError(f"gx dev exited with {process.returncode}:\n{system.log_tail()}")
        try:
            if system.request("GET", "/ready", timeout=2).status == 200:
                system.track_descendants()
                return system
        except (OSError, HTTPError):  # not listening yet
            pass
        if time.monotonic() > deadline:
            stop_gx_dev(system, signal.SIGTERM, check=False)
            raise AssertionError(
                f"gx dev not ready within {READY_TIMEOUT_S:.0f} s:\n{system.log_tail()}"
            )
        time.sleep(0.25)


def stop_gx_dev(system: LiveSystem, sig: int, *, check: bool = True) -> None:
    """Stop `gx dev` as a user would (SIGTERM or Ctrl-C's SIGINT) and check nothing is left."""
    process = system.process
    assert process is not None
    system.track_descendants()
    process.send_signal(sig)
    try:
        code = process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        code = process.wait()
        for pid in list(system.seen):  # never leave a test run's processes behind
            try:
                psutil.Process(pid).kill()
            except psutil.NoSuchProcess:
                pass
        raise AssertionError(f"gx dev did not stop within {STOP_TIMEOUT_S:.0f} s") from None
    if not check:
        return
    assert code == 0, f"gx dev exited with {code}:\n{system.log_tail()}"
    survivors = system.survivors()
    assert not survivors, f"processes left running after gx dev stopped: {survivors}"
    listening = [name for name, port in system.ports.items() if _listening(port)]
    assert not listening, f"ports still listening after gx dev stopped: {listening}"


@pytest.fixture(scope="session")
def e2e_database() -> Iterator[Any]:
    """Create databases of their own on the run's server; all dropped at the end of the run."""
    base = os.environ["GX_TEST_BASE_DATABASE_URL"]
    created: list[str] = []

    def create() -> str:
        name = f"{os.environ['GX_TEST_DATABASE_NAME']}_e2e_{secrets.token_hex(3)}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        info = psycopg.conninfo.conninfo_to_dict(base)
        info["dbname"] = name
        return psycopg.conninfo.make_conninfo(**info)

    yield create
    with psycopg.connect(base, autocommit=True) as conn:
        for name in created:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def live_system(e2e_database: Any) -> Iterator[LiveSystem]:
    home = Path(tempfile.mkdtemp(prefix="gx-e2e-"))
    system = start_gx_dev(e2e_database(), home)
    yield system
    stop_gx_dev(system, signal.SIGTERM)
