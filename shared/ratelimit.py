"""Fixed-window rate limits in Redis, shared by every replica (never per-process memory).

A window is keyed by limiter name, subject (client IP or principal) and window number, so
counters expire on their own. One round trip per check (INCR + EXPIRE in a pipeline).

When Redis is unreachable the limiter fails *open* for ordinary limits (availability of reads and
payments matters more than throttling) and *closed* for limits marked `strict` (login and
registration: brute force protection must not silently disappear). See README "Rate limits".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from shared.cache import get_redis, key
from shared.errors import RateLimited, Unavailable
from shared.observability import RATELIMIT_REDIS_DOWN, get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    limit: int
    window_s: int
    key: str = "ip"  # "ip" or "principal"
    strict: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    limit: int
    remaining: int
    reset_s: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }


def check(limit: Limit, subject: str, *, now: float | None = None) -> Decision:
    """Count one request against `limit` for `subject`; RateLimited when over."""
    now = time.time() if now is None else now
    window = int(now // limit.window_s)
    reset_s = max(1, int((window + 1) * limit.window_s - now))
    k = key("rl", limit.name, subject, str(window))
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.incr(k)
        pipe.expire(k, limit.window_s + 1)
        count = int(pipe.execute()[0])
    except redis.RedisError:
        RATELIMIT_REDIS_DOWN.labels(limit.name, "closed" if limit.strict else "open").inc()
        if limit.strict:
            log.error("ratelimit.redis_down", limiter=limit.name, policy="closed")
            raise Unavailable("rate limiter unavailable, try again shortly", retry_after=5) from None
        log.warning("ratelimit.redis_down", limiter=limit.name, policy="open")
        return Decision(limit.limit, limit.limit, reset_s)
    remaining = max(0, limit.limit - count)
    if count > limit.limit:
        raise RateLimited(
            "too many requests, try again later",
            retry_after=reset_s,
            limit=limit.limit,
            reset=reset_s,
        )
    return Decision(limit.limit, remaining, reset_s)
