"""The Redis client: lazy, one per process (re-created after fork), every key under a prefix."""

from __future__ import annotations

import os
import threading

import redis

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
                client = redis.Redis.from_url(
                    get_settings().require("redis_url"),
                    socket_timeout=0.5,
                    socket_connect_timeout=0.5,
                    health_check_interval=30,
                    decode_responses=True,
                )
                _clients[pid] = client
    return client


def key(*parts: str) -> str:
    return get_settings().redis_prefix + ":".join(parts)


def reset_redis() -> None:
    with _lock:
        _clients.clear()
