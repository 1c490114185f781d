"""gunicorn hooks for the dev gateway (`gunicorn -c python:shared.runtime.gunicorn_conf ...`).

Each worker builds its function apps right after the fork, before it accepts a request, so the
first request to any function pays no import, and then freezes that heap (`shared.runtime.heap`);
a dead worker's metric files are marked dead so /metrics keeps aggregating the living ones
(prometheus-client multiprocess mode).
"""

from __future__ import annotations

import os
from typing import Any

# Each worker listens on the port itself (SO_REUSEPORT; gunicorn >= 24 binds one socket per worker)
# and the kernel spreads new connections over the workers. With one shared socket the first
# worker to wake takes the connection: a few long-lived keep-alive connections (a proxy's, a load
# generator's) could all land on one worker, its core saturated while the other idled.
reuse_port = True


def post_worker_init(worker: Any) -> None:
    from shared.runtime.gateway import default_gateway
    from shared.runtime.heap import freeze_startup_heap

    target = str(getattr(worker.app, "app_uri", ""))
    kind = "cloudevent" if target.endswith(":events_app") else "http"
    default_gateway().warm(kind)
    freeze_startup_heap()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def when_ready(server: Any) -> None:
    """/metrics on its own loopback port (GX_METRICS_PORT), from the public server's master: the
    multi-process folder is shared by every child of `gx dev`, so it shows the whole system."""
    from shared.config import get_settings
    from shared.observability import start_metrics_server

    settings = get_settings()
    if any(str(addr).endswith(f":{settings.port}") for addr in server.cfg.bind):
        start_metrics_server(settings.metrics_port, "127.0.0.1")
