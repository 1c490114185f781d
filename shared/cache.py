"""The Redis client: lazy, one per process (re-created after fork), every key under a prefix.

With GX_REDIS_SENTINELS set the client asks the Sentinels for the current master of
GX_REDIS_SENTINEL_MASTER and asks again whenever a connection to it fails, so after a failover
the next command reaches the promoted replica without a restart (redis-py's Sentinel support).
"""

from __future__ import annotations

import os
import threading

import redis
from redis.sentinel import Sentinel

from shared.config import get_settings

_lock = threading.Lock()
_clients: dict[int, redis.Redis] = {}


def get_redis() -> redis.Redis:
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        with _lock:
            client = _clients.get(pid)
            if client is None:
                client = _connect()
                _clients[pid] = client
    return client


# Short timeouts: a rate-limit check must not hold a request when Redis is gone (it then fails
# open or closed, shared/ratelimit.py), and a dead master is noticed within one timeout.
_TIMEOUTS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}


def sentinel_addresses(spec: str) -> list[tuple[str, int]]:
    """'host:port,host:port' -> [(host, port), ...]; a bare host means Sentinel's 26379."""
    out = []
    for item in (i.strip() for i in spec.split(",")):
        if item:
            host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
            out.append((host, int(port)))
    return out


def _connect() -> redis.Redis:
    settings = get_settings()
    if settings.redis_sentinels:
        sentinel = Sentinel(
            sentinel_addresses(settings.redis_sentinels), sentinel_kwargs=_TIMEOUTS, **_TIMEOUTS
        )
        return sentinel.master_for(
            settings.redis_sentinel_master,
            password=settings.redis_password,
            db=settings.redis_db,
            health_check_interval=30,
            decode_responses=True,
        )
    return redis.Redis.from_url(
        settings.require("redis_url"), health_check_interval=30, decode_responses=True, **_TIMEOUTS
    )


def key(*parts: str) -> str:
    return get_settings().redis_prefix + ":".join(parts)


def reset_redis() -> None:
    with _lock:
        _clients.clear()
