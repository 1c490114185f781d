"""`gx dev`: the whole system on one machine, as `make run` starts it.

1. Servers: GX_DATABASE_URL / GX_REDIS_URL / GX_S3_ENDPOINT when set, otherwise embedded
   PostgreSQL, Valkey and SeaweedFS S3 with their data under GX_HOME (`.gx/`), kept across
   restarts (`--fresh` wipes the folder first).
2. JWT signing keys under GX_HOME/keys, generated once, when GX_JWT_* are unset.
3. Migrations, then the startup steps of `shared.runtime.startup` (seed data, ledger bootstrap).
4. Children, each in its own process group with the resolved GX_* environment:
   gunicorn `gateway:http_app` on GX_BIND:GX_PORT, gunicorn `gateway:events_app` on
   127.0.0.1:GX_EVENTS_PORT, and the broker (ingress on 127.0.0.1:GX_BROKER_PORT, delivery
   workers, PingSource timer), and the chain listener (ledger events to the broker, as the
   ContainerSource does in production). A child that dies is restarted (at most
   GX_DEV_RESTART_LIMIT times).
5. SIGINT / SIGTERM: every child group gets SIGTERM, then SIGKILL after GX_DEV_STOP_GRACE_S;
   the embedded servers are stopped; nothing this command started keeps running or listening.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.config import Settings, get_settings, reset_settings
from shared.observability import get_logger
from shared.runtime.embedded import die_with_parent

log = get_logger(__name__)

_RESTART_DELAY_S = 1.0
_STABLE_AFTER_S = 60.0
#: `gx` run by this interpreter with the working directory first on sys.path (like `-m`).
_GX = [sys.executable, "-c", "import sys; from shared.cli import main; sys.exit(main())"]
_READY_TIMEOUT_S = 90.0


class DevError(RuntimeError):
    """`gx dev` cannot start (a port is taken, a server does not come up, a step failed)."""


@dataclass
class Child:
    name: str
    argv: list[str]
    port: int
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0

    def start(self, env: dict[str, str]) -> None:
        # Own session = own process group: a terminal's Ctrl-C reaches only `gx dev`, which
        # then stops each group in order, and gunicorn workers die with their master's group.
        self.proc = subprocess.Popen(
            self.argv, env=env, start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509
        )
        self.started_at = time.monotonic()

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def group_alive(self) -> bool:
        if self.proc is None:
            return False
        self.proc.poll()  # reap the leader so a zombie does not count as alive
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


@dataclass
class DevRunner:
    settings: Settings
    fresh: bool = False
    out: Callable[[str], Any] = field(default=lambda line: print(line, file=sys.stderr, flush=True))
    children: list[Child] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    _servers: list[Any] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def home(self) -> Path:
        return self.settings.home.resolve()

    # --- preparation ----------------------------------------------------------------------

    def prepare(self) -> None:
        s = self.settings
        for port in (s.port, s.events_port, s.broker_port):
            if port_in_use(port):
                raise DevError(f"port {port} is already in use (set GX_PORT / GX_EVENTS_PORT / "
                               "GX_BROKER_PORT to free ones)")
        if self.fresh and self.home.exists():
            self.out(f"gx dev: --fresh: removing {self.home}")
            shutil.rmtree(self.home)
        self.home.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["GX_DATABASE_URL"] = s.database_url or self._embedded_postgres()
        env["GX_REDIS_URL"] = s.redis_url or self._embedded_redis()
        if not s.s3_endpoint and not (s.s3_access_key and s.s3_secret_key):
            env["GX_S3_ACCESS_KEY"], env["GX_S3_SECRET_KEY"] = self._s3_keys()
            os.environ.update({k: env[k] for k in ("GX_S3_ACCESS_KEY", "GX_S3_SECRET_KEY")})
            reset_settings()
            self.settings = s = get_settings()
        env["GX_S3_ENDPOINT"] = s.s3_endpoint or self._embedded_s3()
        if not s.jwt_public_key and not s.jwt_private_key:
            env["GX_JWT_PRIVATE_KEY"], env["GX_JWT_PUBLIC_KEY"] = self._keys()
        env.setdefault("GX_BROKER_URL", f"http://127.0.0.1:{s.broker_port}/")
        # The one metrics port of `gx dev` also serves the pipeline's state (as the dead-letter
        # sink does in a cluster).
        env.setdefault("GX_PIPELINE_METRICS", "true")
        metrics = self.home / "prometheus"
        shutil.rmtree(metrics, ignore_errors=True)  # stale files from dead pids skew counters
        metrics.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        self.env = env
        # This process runs the migrations and startup steps with the same settings.
        for k in ("GX_DATABASE_URL", "GX_REDIS_URL", "GX_S3_ENDPOINT", "GX_S3_ACCESS_KEY",
                  "GX_S3_SECRET_KEY", "GX_JWT_PRIVATE_KEY", "GX_JWT_PUBLIC_KEY", "GX_BROKER_URL"):
            if k in env:
                os.environ[k] = env[k]
        reset_settings()
        self.settings = get_settings()

        from shared.migrate import migrate

        applied = migrate(self.settings.require("database_url"))
        self.out(f"gx dev: migrations: {len(applied)} applied")
        from shared.runtime.startup import run_all

        run_all(self.settings, report=lambda line: self.out(f"gx dev: {line}"))

    def _embedded_postgres(self) -> str:
        from shared.runtime.embedded import EmbeddedPostgres

        pg = EmbeddedPostgres(self.home / "pg")
        self._servers.append(pg)
        self.out("gx dev: starting embedded PostgreSQL")
        return pg.start()

    def _embedded_redis(self) -> str:
        from shared.runtime.embedded import EmbeddedRedis

        redis = EmbeddedRedis(self.home / "redis")
        self._servers.append(redis)
        self.out("gx dev: starting embedded Valkey")
        return redis.start()

    def _embedded_s3(self) -> str:
        from shared.runtime.embedded import EmbeddedS3

        s = self.settings
        s3 = EmbeddedS3(
            self.home / "s3", access_key=s.require("s3_access_key"),
            secret_key=s.require("s3_secret_key"),
            bucket=s.s3_bucket, region=s.s3_region,
        )
        self._servers.append(s3)
        self.out("gx dev: starting embedded S3 (SeaweedFS)")
        return s3.start()

    def _s3_keys(self) -> tuple[str, str]:
        """Credentials of the embedded S3 server, generated on the first start and kept."""
        path = self.home / "keys" / "s3.json"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps({"access_key": f"gx{secrets.token_hex(6)}",
                                        "secret_key": secrets.token_urlsafe(24)}))
            self.out(f"gx dev: generated embedded S3 credentials in {path}")
        creds = json.loads(path.read_text())
        return creds["access_key"], creds["secret_key"]

    def _keys(self) -> tuple[str, str]:
        """Paths of the dev signing key pair, generated on the first start."""
        from shared.auth import generate_keypair

        keys = self.home / "keys"
        private, public = keys / "jwt_private.pem", keys / "jwt_public.pem"
        if not (private.exists() and public.exists()):
            keys.mkdir(parents=True, exist_ok=True)
            priv_pem, pub_pem = generate_keypair()
            private.touch(mode=0o600)
            private.write_text(priv_pem)
            public.write_text(pub_pem)
            self.out(f"gx dev: generated a JWT signing key pair in {keys}")
        return str(private), str(public)

    # --- children ---------------------------------------------------------------------------

    def build_children(self) -> list[Child]:
        s = self.settings

        def gunicorn(app: str, host: str, port: int) -> list[str]:
            return [
                sys.executable, "-m", "gunicorn",
                "-c", "python:shared.runtime.gunicorn_conf",
                "--worker-class", "gthread",
                "--workers", str(s.workers), "--threads", str(s.threads),
                "--bind", f"{host}:{port}",
                "--graceful-timeout", str(max(1, int(s.dev_stop_grace_s) - 1)),
                "--timeout", "120",
                "--log-level", "warning",
                app,
            ]

        return [
            Child("http", gunicorn("shared.runtime.gateway:http_app", s.bind, s.port), s.port),
            Child(
                "events",
                gunicorn("shared.runtime.gateway:events_app", "127.0.0.1", s.events_port),
                s.events_port,
            ),
            Child("broker", [sys.executable, "-m", "shared.runtime.broker"], s.broker_port),
            # The ContainerSource of production: ledger events -> CloudEvents -> the broker.
            Child("chain-listener", [*_GX, "chain-listener"], 0),
        ]

    def start_children(self) -> None:
        self.children = self.build_children()
        for child in self.children:
            child.start(self.env)
            log.info("dev.child_started", child=child.name, pid=child.proc.pid if child.proc else 0)

    def supervise(self) -> int:
        """Watch the children until asked to stop; the exit code for `gx dev`."""
        host = self.settings.bind if self.settings.bind not in ("0.0.0.0", "::", "") else "127.0.0.1"
        url = f"http://{f'[{host}]' if ':' in host else host}:{self.settings.port}"
        announced = False
        started = time.monotonic()
        while not self._stop.wait(0.25):
            for child in self.children:
                if child.proc is None or child.proc.poll() is None:
                    continue
                code = child.proc.returncode
                if time.monotonic() - child.started_at > _STABLE_AFTER_S:
                    child.restarts = 0  # the limit is for crash loops, not for a long session
                if child.restarts >= self.settings.dev_restart_limit:
                    self.out(f"gx dev: {child.name} exited with {code}; restart limit reached")
                    return 1
                child.restarts += 1
                self.out(f"gx dev: {child.name} exited with {code}; restarting "
                         f"({child.restarts}/{self.settings.dev_restart_limit})")
                child.signal_group(signal.SIGKILL)  # orphaned workers of a dead master
                if self._stop.wait(_RESTART_DELAY_S):
                    break
                child.start(self.env)
            if not announced and _healthy(url):
                announced = True
                self.out(f"gx dev: serving on http://{self.settings.bind}:{self.settings.port} "
                         f"(events 127.0.0.1:{self.settings.events_port}, broker "
                         f"127.0.0.1:{self.settings.broker_port}, metrics "
                         f"http://127.0.0.1:{self.settings.metrics_port}/metrics); "
                         "Ctrl-C stops everything")
            elif not announced and time.monotonic() - started > _READY_TIMEOUT_S:
                self.out(f"gx dev: {url}/health did not answer within {_READY_TIMEOUT_S:.0f} s")
                return 1
        return 0

    def request_stop(self, *_: Any) -> None:
        self._stop.set()

    def shutdown(self) -> None:
        """Stop every child group (SIGTERM, then SIGKILL after the grace) and embedded servers."""
        for child in self.children:
            if child.proc is not None and child.proc.poll() is None:
                # The leader first: gunicorn's master stops its workers gracefully itself.
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.settings.dev_stop_grace_s
        while time.monotonic() < deadline and any(c.group_alive() for c in self.children):
            time.sleep(0.1)
        for child in self.children:
            if child.group_alive():
                self.out(f"gx dev: {child.name} did not stop in time; killing it")
            child.signal_group(signal.SIGKILL)
            if child.proc is not None:
                try:
                    child.proc.wait(5)
                except subprocess.TimeoutExpired:
                    pass
        for server in reversed(self._servers):
            try:
                server.stop()
            except Exception:  # keep stopping the others
                log.exception("dev.server_stop_failed", server=type(server).__name__)
        self._servers.clear()

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.request_stop)
        try:
            self.prepare()
            if self._stop.is_set():
                return 0
            self.start_children()
            return self.supervise()
        finally:
            self.shutdown()
            self.out("gx dev: stopped")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
