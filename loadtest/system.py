"""Start and stop a whole system (`gx dev`) for a benchmark or a load-test smoke run.

It gets a database of its own (created on the server GX_DATABASE_URL names and dropped
afterwards; or, without one, embedded servers under a temporary GX_HOME), its own Redis key
prefix, free ports, the production server settings (gunicorn gthread, GX_WORKERS x GX_THREADS),
a bootstrap admin, and trusts the load generator's client-IP header as it would the edge
gateway's. Stopping it leaves no process, port or database behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from loadtest.client import CLIENT_IP_HEADER
from shared.runtime.embedded import die_with_parent, free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 180.0
_GX = [sys.executable, "-c", "import sys; from shared.cli import main; sys.exit(main())"]


class SystemError_(RuntimeError):
    """The system under test did not start."""


@dataclass
class System:
    base_url: str
    env: dict[str, str]
    home: Path
    log_path: Path
    admin_email: str
    admin_password: str
    database_url: str | None = None  # None: embedded, inside `home`
    process: subprocess.Popen[bytes] | None = None
    _drop: list[tuple[str, str]] = field(default_factory=list)  # (server url, database)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _create_database(server_url: str) -> tuple[str, str]:
    name = f"gx_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(server_url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo("", **info), name


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ready", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def start(*, server_database_url: str | None, redis_url: str | None, s3_endpoint: str | None,
          workers: int = 2, threads: int = 8, extra_env: dict[str, str] | None = None,
          base_env: dict[str, str] | None = None) -> System:
    """A running `gx dev`, ready (/ready answers 200)."""
    home = Path(tempfile.mkdtemp(prefix="gx-bench-"))
    port = free_port()
    env = dict(base_env if base_env is not None else os.environ)
    for k in ("GX_BROKER_URL", "GX_DATABASE_URL", "GX_REDIS_URL", "GX_S3_ENDPOINT"):
        env.pop(k, None)
    admin_email = f"bench-admin-{secrets.token_hex(3)}@loadtest.example.org"
    admin_password = f"Bench{secrets.token_hex(8)}1"
    env.update({
        "GX_ENV": "prod",
        "GX_HOME": str(home),
        "GX_PORT": str(port),
        "GX_EVENTS_PORT": str(free_port()),
        "GX_BROKER_PORT": str(free_port()),
        "GX_WORKERS": str(workers),
        "GX_THREADS": str(threads),
        "GX_REDIS_PREFIX": f"gx-bench-{secrets.token_hex(3)}:",
        "GX_CLIENT_IP_HEADER": CLIENT_IP_HEADER,
        "GX_BOOTSTRAP_ADMIN_EMAIL": admin_email,
        "GX_BOOTSTRAP_ADMIN_PASSWORD": admin_password,
        "GX_LOG_LEVEL": env.get("GX_LOG_LEVEL", "WARNING"),
        "PYTHONUNBUFFERED": "1",
    })
    if redis_url:
        env["GX_REDIS_URL"] = redis_url
    if s3_endpoint:
        env["GX_S3_ENDPOINT"] = s3_endpoint
    env.update(extra_env or {})
    system = System(base_url=f"http://127.0.0.1:{port}", env=env, home=home,
                    log_path=home / "gx-dev.log", admin_email=admin_email,
                    admin_password=admin_password)
    if server_database_url:
        system.database_url, name = _create_database(server_database_url)
        system._drop.append((server_database_url, name))
        env["GX_DATABASE_URL"] = system.database_url
    with system.log_path.open("wb") as log:
        system.process = subprocess.Popen(
            [*_GX, "dev"], env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=die_with_parent)  # noqa: PLW1509 - never outlive the harness
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not _ready(system.base_url):
        if system.process.poll() is not None or time.monotonic() > deadline:
            tail = system.log_tail()
            stop(system)
            raise SystemError_(f"gx dev did not become ready:\n{tail}")
        time.sleep(0.25)
    return system


def descendants(system: System, marker: str) -> list[int]:
    """Processes under `gx dev` whose command line contains `marker` (read from /proc)."""
    assert system.process is not None
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[stat.rfind(")") + 2:].split()[1])

    def under(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == system.process.pid:  # type: ignore[union-attr]
                return True
        return False

    return [pid for pid, cmd in commands.items() if marker in cmd and under(pid)]


def pause(system: System, marker: str) -> list[int]:
    """SIGSTOP the `gx dev` children matching `marker` (e.g. the chain listener, so a stage can
    be measured without the read side sharing its cores); give the result to `resume`."""
    pids = descendants(system, marker)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    return pids


def resume(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def stop(system: System, timeout_s: float = 60.0) -> None:
    """SIGTERM `gx dev` (it stops its children and embedded servers), then clean up."""
    proc = system.process
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for server, name in system._drop:
        _drop_database(server, name)
    system._drop.clear()
    shutil.rmtree(system.home, ignore_errors=True)


def _drop_database(server: str, name: str) -> Any:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
