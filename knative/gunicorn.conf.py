"""gunicorn settings for the one image: `gunicorn -c knative/gunicorn.conf.py`.

Workers and threads come from GX_WORKERS / GX_THREADS (the renderer sets them per Service so
that workers x threads = the Service's Knative containerConcurrency); the port is GX_PORT, which
matches the container port Knative targets. The gunicorn-only knobs below are GX_GUNICORN_*.
gthread workers: a slow request blocks one thread, not the worker heartbeat, so the per-request
deadline is Knative's `timeoutSeconds`; `graceful_timeout` lets in-flight requests finish when a
revision scales down.
"""

from __future__ import annotations

import os
import shutil

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.config import get_settings


class ServerSettings(BaseSettings):
    """The process-server settings that are not the application's (shared.config.Settings)."""

    model_config = SettingsConfigDict(env_prefix="GX_GUNICORN_", extra="ignore", frozen=True)

    timeout_s: int = Field(30, ge=1, description="Worker silence before gunicorn restarts it.")
    graceful_timeout_s: int = Field(30, ge=1, description="Drain time on SIGTERM.")
    keepalive_s: int = Field(75, ge=1, description="Longer than the queue-proxy's idle timeout.")
    log_level: str = Field("info", pattern=r"^(debug|info|warning|error|critical)$")
    bind_host: str = "0.0.0.0"


_app = get_settings()
_server = ServerSettings()

wsgi_app = "knative.wsgi:create()"
bind = f"{_server.bind_host}:{_app.port}"
worker_class = "gthread"
workers = _app.workers
threads = _app.threads
timeout = _server.timeout_s
graceful_timeout = _server.graceful_timeout_s
keepalive = _server.keepalive_s
# One listening socket per worker (SO_REUSEPORT): the kernel spreads the queue-proxy's keep-alive
# connections over the workers instead of the first worker to wake taking them all.
reuse_port = True
loglevel = _server.log_level
accesslog = None  # the endpoint pipeline logs every request as JSON with its request id
errorlog = "-"
# Import the function once in the master, then fork: cold starts pay the import once. Pools and
# clients are created lazily per worker (shared.db), never shared across the fork.
preload_app = True
# The root filesystem is read-only in the pod; the heartbeat files live in memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn's control socket would go under $HOME (read-only, and nothing in a pod drives it).
control_socket_disable = True


def _fresh_metrics_folder() -> None:
    """An empty Prometheus multi-process folder per server start (stale files skew counters).
    Done while the config loads: with preload_app the function module, and its metrics, are
    imported before any server hook runs."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


_fresh_metrics_folder()


def post_worker_init(worker: object) -> None:
    from shared.runtime.heap import freeze_startup_heap

    freeze_startup_heap()  # the function is imported (preload_app): keep full collections short


def child_exit(server: object, worker: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def when_ready(server: object) -> None:
    """/metrics on its own port (GX_METRICS_PORT), from the master: it aggregates the workers.
    The Service's one routed port never answers it."""
    from shared.observability import start_metrics_server

    start_metrics_server(_app.metrics_port, _server.bind_host)
