"""A lean HTTP/1.1 load generator (asyncio protocols over keep-alive connections).

Client and server share two cores, so every microsecond the client spends is taken from the
server: this one pre-builds request bytes, parses only the status line and Content-Length, and
keeps one connection per concurrent request. Two modes:

- `closed_loop`: N connections each send the next request as soon as the previous one is
  answered (maximum throughput at that concurrency);
- `open_loop`: requests are *scheduled* at a fixed total rate and latency is measured from the
  scheduled time, so a slow server is not hidden by the client waiting (no coordinated omission).

Only requests that complete inside the measured window (after the warm-up) are counted.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

STALL_S = 60.0

#: make(connection index, request number) -> the full request bytes
RequestFactory = Callable[[int, int], bytes]
#: on_reply(connection index, request number, status, body, began, done): loop.time() seconds,
#: which is time.monotonic()
ReplyHook = Callable[[int, int, int, bytes, float, float], None]


@dataclass
class Samples:
    """What one measured slot produced."""

    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, completed in the window
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0  # connection failures (each reconnects)

    @property
    def count(self) -> int:
        return len(self.latencies)


def request_bytes(method: str, path: str, host: str, headers: dict[str, str] | None = None,
                  body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Conn(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buf[:end]).lower()
        i = head.find(b"\r\ncontent-length:")
        if i >= 0:
            j = head.find(b"\r\n", i + 2)
            total = end + 4 + int(head[i + 17: j if j >= 0 else len(head)])
        elif b"transfer-encoding: chunked" in head:
            last = buf.find(b"\r\n0\r\n\r\n", end)
            if last < 0:
                return
            total = last + 7
        else:
            total = end + 4
        if len(buf) < total:
            return
        body = bytes(buf[end + 4:total])
        del buf[:total]
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((int(head[9:12]), body, b"\r\nconnection: close" in head))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionError("connection lost"))

    async def send(self, data: bytes) -> tuple[int, bytes, bool]:
        if self.lost or self.transport is None:  # closed by the server while idle (keep-alive)
            raise ConnectionError("connection lost")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


async def _connect(host: str, port: int) -> _Conn:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(_Conn, host, port)
    return conn


async def _run(host: str, port: int, make: RequestFactory, *, connections: int,
               duration_s: float, warmup_s: float, rate: float | None,
               on_reply: ReplyHook | None) -> Samples:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    window = (start + warmup_s, start + warmup_s + duration_s)
    samples = Samples(seconds=duration_s)
    interval = connections / rate if rate else 0.0

    async def worker(k: int) -> None:
        conn = await _connect(host, port)
        n = 0
        next_at = start + (k * interval / connections if rate else 0.0)
        while True:
            if rate:
                if next_at >= window[1]:
                    break
                delay = next_at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                began = next_at
                next_at += interval
            else:
                began = loop.time()
                if began >= window[1]:
                    break
            data = make(k, n)
            try:
                status, body, close = await conn.send(data)
            except ConnectionError:
                samples.errors += 1
                conn = await _connect(host, port)
                continue
            done = loop.time()
            if window[0] <= done <= window[1]:
                samples.latencies.append(done - began)
                samples.statuses[status] += 1
            if on_reply is not None:
                on_reply(k, n, status, body, began, done)
            n += 1
            if close or conn.lost:
                if conn.transport is not None:
                    conn.transport.close()
                conn = await _connect(host, port)
        if conn.transport is not None:
            conn.transport.close()

    # A request the server never answers must not hang the benchmark.
    limit = warmup_s + duration_s + STALL_S
    try:
        await asyncio.wait_for(asyncio.gather(*(worker(k) for k in range(connections))), limit)
    except TimeoutError:
        raise RuntimeError(f"the server stopped answering (no reply within {STALL_S:.0f} s)") from None
    return samples


def closed_loop(host: str, port: int, make: RequestFactory, *, connections: int,
                duration_s: float, warmup_s: float = 1.0,
                on_reply: ReplyHook | None = None) -> Samples:
    """As many requests as `connections` concurrent clients get answered."""
    return asyncio.run(_run(host, port, make, connections=connections, duration_s=duration_s,
                            warmup_s=warmup_s, rate=None, on_reply=on_reply))


def open_loop(host: str, port: int, make: RequestFactory, *, rate: float, connections: int,
              duration_s: float, warmup_s: float = 1.0,
              on_reply: ReplyHook | None = None) -> Samples:
    """`rate` requests per second in total, latency from each request's scheduled time."""
    return asyncio.run(_run(host, port, make, connections=connections, duration_s=duration_s,
                            warmup_s=warmup_s, rate=rate, on_reply=on_reply))


