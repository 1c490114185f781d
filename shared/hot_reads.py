"""Reads on the command path that change rarely and may be a second old: the chain parameters a
fee quote uses and the pause flag. Each process keeps them for `GX_HOT_READ_CACHE_S` (default 1 s,
0 turns it off) instead of asking PostgreSQL on every request.

A second's staleness never decides anything: the chain charges its own parameters and refuses
commands while paused; what the API answers from these reads is the early answer a client gets
before the chain's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache

from shared.config import get_settings

T = TypeVar("T")

_lock = threading.Lock()
_cache: TTLCache[Hashable, Any] | None = None


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s value for `key`, reused for GX_HOT_READ_CACHE_S seconds in this process."""
    global _cache
    ttl = get_settings().hot_read_cache_s
    if ttl <= 0:
        return load()
    with _lock:
        if _cache is None or _cache.ttl != ttl:
            _cache = TTLCache(maxsize=256, ttl=ttl)
        found = _cache.get(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[no-any-return]
    value = load()  # outside the lock: two concurrent misses both load, harmlessly
    with _lock:
        if _cache is not None:
            _cache[key] = value
    return value


def forget() -> None:
    """Drop everything remembered (tests, and a process that knows it just changed a value)."""
    with _lock:
        if _cache is not None:
            _cache.clear()


_MISSING = object()
