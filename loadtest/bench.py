"""`gx bench`: the system's capacity on this machine, as ratios to a bare function.

1. Starts the whole system (`gx dev`: gunicorn gthread, GX_WORKERS x GX_THREADS, the broker, the
   chain listener, the embedded ledger) on a database of its own, plus the bare functions-framework
   function (`loadtest/bare`) under the same gunicorn settings.
2. Seeds funded users through the API (`loadtest.seed`) and logs each in once.
3. Measures each endpoint class at full speed in its own time slot (closed loop, the same number
   of connections): bare function, /health, balance read, history page, login, command accept;
   then reads at half their maximum rate (open loop, p99). The command accept is measured with
   ledger submission held (`PUT /api/v1/admin/outbox/hold`): the accept function alone, as on its
   own pods in production, leaving a real backlog; releasing the hold then times the outbox
   drain of that backlog by the submitter and the ledger (the chain listener paused meanwhile, so
   the read side does not share their cores; it catches up before the next slot). A second
   accept slot runs with the whole pipeline (submitter, ledger,
   listener, broker, projectors) on the same cores, and command-to-projection latency is taken at
   a fixed command rate.
4. Prints one table and writes the same figures to loadtest/results/bench-<time>.json.

Rate limits stay on (they are part of what is measured). Login is limited per IP: every login
carries a distinct address in the edge gateway's client-IP header, which the benched system
trusts as it trusts the edge in production. Transfers are limited per principal (120/min):
commands are spread over the seeded principals, and a principal that used its minute's budget
is skipped until the next window, so no command is refused by the limiter.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from loadtest import loadgen, report, system
from loadtest.client import CLIENT_IP_HEADER, Api, client_ip
from loadtest.report import (
    PROJECTION_P99_TARGET_MS,
    READ_P99_TARGET_MS,
    ClassResult,
    DrainResult,
    LatencyResult,
    Report,
)
from loadtest.seed import SeedData, seed
from shared.runtime.embedded import die_with_parent, free_port

RESULTS = Path(__file__).resolve().parent / "results"
TRANSFER_LIMIT_PER_MIN = 120  # knative/services/tokenomics.py: create_transfer's limit
TRANSFER_AMOUNT = "1000000"  # 1 GX: the seeded users hold 500 GX each
HOLD = "/api/v1/admin/outbox/hold"


@dataclass
class BenchConfig:
    duration_s: float = 8.0
    warmup_s: float = 1.5
    workers: int = 2
    threads: int = 8
    connections: int = 0  # 0: workers x threads (what the server runs at once)
    users: int = 150
    projection_rate: float = 100.0
    projection_s: float = 10.0
    database_url: str | None = None  # a PostgreSQL server to create the bench database on
    redis_url: str | None = None
    s3_endpoint: str | None = None
    out_dir: Path = RESULTS

    @property
    def conns(self) -> int:
        return self.connections or self.workers * self.threads


@dataclass
class Principal:
    profile_id: str
    ip: str
    token: str


class PrincipalBudget:
    """Round-robin over principals, skipping any that used `limit` requests in the current
    fixed window (the server's limiter windows are `int(now // window_s)`, same clock)."""

    def __init__(self, count: int, limit: int, window_s: int = 60) -> None:
        self.count, self.limit, self.window_s = count, limit, window_s
        self.used: dict[tuple[int, int], int] = {}
        self.cursor = itertools.count()
        self.exhausted = 0  # times every principal was out of budget (the request will be 429)

    def next(self, now: float | None = None) -> int:
        window = int((time.time() if now is None else now) // self.window_s)
        for _ in range(self.count):
            i = next(self.cursor) % self.count
            if self.used.get((i, window), 0) < self.limit:
                self.used[(i, window)] = self.used.get((i, window), 0) + 1
                return i
        self.exhausted += 1
        return next(self.cursor) % self.count


@dataclass
class Bench:
    config: BenchConfig
    log: Callable[[str], Any] = field(default=lambda line: print(line, file=sys.stderr,
                                                                  flush=True))
    notes: list[str] = field(default_factory=list)

    # --- the pieces --------------------------------------------------------------------------

    def slot(self, name: str, label: str, port: int, make: loadgen.RequestFactory, *,
             ok: tuple[int, ...] = (), on_reply: loadgen.ReplyHook | None = None) -> ClassResult:
        c = self.config
        s = loadgen.closed_loop("127.0.0.1", port, make, connections=c.conns,
                                duration_s=c.duration_s, warmup_s=c.warmup_s, on_reply=on_reply)
        result = report.class_result(name, label, s.latencies, s.seconds, dict(s.statuses),
                                     s.errors, ok)
        self.log(f"bench: {label}: {result.req_s:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                 f"p99 {result.p99_ms:.1f} ms {dict(s.statuses)}")
        return result

    def at_rate(self, name: str, port: int, make: loadgen.RequestFactory,
                rate: float) -> LatencyResult:
        c = self.config
        s = loadgen.open_loop("127.0.0.1", port, make, rate=rate, connections=c.conns,
                              duration_s=c.duration_s, warmup_s=c.warmup_s)
        bad = sum(n for st, n in s.statuses.items() if st != 200)
        result = report.latency_result(name, rate, s.latencies, READ_P99_TARGET_MS, missing=bad)
        self.log(f"bench: {name} at {rate:.0f} req/s: p50 {result.p50_ms:.1f} ms, "
                 f"p99 {result.p99_ms:.1f} ms")
        return result

    # --- the run -----------------------------------------------------------------------------

    def run(self) -> Report:
        c = self.config
        started = time.time()
        meta: dict[str, Any] = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            "workers": c.workers, "threads": c.threads, "connections": c.conns,
            "slot_s": c.duration_s, "warmup_s": c.warmup_s, "users": c.users,
            "client": "loadtest.loadgen (asyncio, keep-alive, one process)",
            "argon2id": argon2_cost(),
        }
        pg_tmp: Path | None = None
        pg: Any = None
        server_url = c.database_url
        if not server_url:  # a clean clone: an embedded PostgreSQL of the bench's own
            from shared.runtime.embedded import EmbeddedPostgres

            pg_tmp = Path(tempfile.mkdtemp(prefix="gx-bench-pg-"))
            pg = EmbeddedPostgres(pg_tmp / "pg")
            self.log("bench: starting embedded PostgreSQL")
            server_url = pg.start()
        sut: system.System | None = None
        bare: subprocess.Popen[bytes] | None = None
        try:
            self.log("bench: starting the system (gx dev)")
            sut = system.start(server_database_url=server_url, redis_url=c.redis_url,
                               s3_endpoint=c.s3_endpoint, workers=c.workers, threads=c.threads)
            bare_port = free_port()
            bare = start_bare(bare_port, c.workers, c.threads)
            self.log(f"bench: seeding {c.users} users through the API")
            data = seed(sut.base_url, users=c.users, admin_email=sut.admin_email,
                        admin_password=sut.admin_password, concurrency=8,
                        log=lambda line: self.log(f"bench: {line}"))
            meta["seed_s"] = round(data.seconds, 1)
            principals = log_in_all(sut.base_url, data)
            assert sut.database_url is not None
            rep = self.measure(sut, bare_port, data, principals, meta)
        finally:
            if bare is not None:
                stop_process(bare)
            if sut is not None:
                system.stop(sut)
            if pg is not None:
                pg.stop()
            if pg_tmp is not None:
                shutil.rmtree(pg_tmp, ignore_errors=True)
        rep.meta["seconds"] = round(time.time() - started, 1)
        return rep

    def measure(self, sut: system.System, bare_port: int, data: SeedData,
                principals: list[Principal], meta: dict[str, Any]) -> Report:
        port = int(sut.base_url.rsplit(":", 1)[1])
        host = f"127.0.0.1:{port}"
        conns = self.config.conns
        with psycopg.connect(sut.database_url or "", autocommit=True) as db:
            # Start from a quiet system: the seeding's events projected, its tables vacuumed and
            # analysed (else autovacuum and the read side's catch-up land in the first slots).
            caught_up(db, self.log)
            db.execute("VACUUM (ANALYZE)")
        read_headers = [
            {"Authorization": f"Bearer {p.token}", CLIENT_IP_HEADER: p.ip} for p in principals
        ]

        def per_connection(path: Callable[[Principal], str]) -> loadgen.RequestFactory:
            built = [loadgen.request_bytes("GET", path(principals[k % len(principals)]), host,
                                           read_headers[k % len(principals)])
                     for k in range(conns)]
            return lambda k, n: built[k]

        balance = per_connection(lambda p: f"/api/v1/wallets/{p.profile_id}/balance")
        history = per_connection(lambda p: f"/api/v1/wallets/{p.profile_id}/transactions?limit=20")
        bare_req = loadgen.request_bytes("GET", "/", f"127.0.0.1:{bare_port}")
        health_req = loadgen.request_bytes("GET", "/health", host)

        classes = [
            self.slot("bare", "bare functions-framework function", bare_port,
                      lambda k, n: bare_req, ok=(200,)),
            self.slot("health", "GET /health", port, lambda k, n: health_req, ok=(200,)),
            self.slot("balance", "GET balance (JWT, owner check, read)", port, balance,
                      ok=(200,)),
            self.slot("history", "GET history page (JWT, owner check, page)", port, history,
                      ok=(200,)),
        ]
        reads_at_half = [
            self.at_rate("balance read", port, balance, classes[2].req_s / 2),
            self.at_rate("history page", port, history, classes[3].req_s / 2),
        ]

        addresses = itertools.count(3_000_000)  # one fresh client address per login

        def login(k: int, n: int) -> bytes:
            user = data.users[(k + n * conns) % len(data.users)]
            body = json.dumps({"email": user.email, "password": data.password}).encode()
            return loadgen.request_bytes("POST", "/api/v1/auth/login", host, {
                CLIENT_IP_HEADER: client_ip(next(addresses)),
                "Content-Type": "application/json"}, body)

        classes.append(self.slot("login", "POST login (argon2id verify, session, tokens)", port,
                                 login, ok=(200,)))

        transfers = TransferFactory(principals, host)
        admin = Api(sut.base_url, ip=client_ip(2_999_999))
        admin.login(sut.admin_email, sut.admin_password)
        with psycopg.connect(sut.database_url or "", autocommit=True) as db:
            # The accept path alone: submission held, as the submitter, the ledger, the listener
            # and the projectors run on other pods in production; the slot leaves a backlog.
            admin.json("PUT", HOLD, {"reason": "gx bench: measuring the accept path alone"})
            try:
                classes.append(self.slot(
                    "command", "POST transfer (JWT, limit, idempotency, outbox)", port,
                    transfers.make, ok=(202,)))
            finally:
                drain = self.drain(db, admin, sut)
            # The same accept with every downstream process on the same two cores.
            classes.append(self.slot(
                "command_live", "  same, pipeline live on the same cores", port,
                transfers.make, ok=(202,)))
            settle(db, self.log)
            # From a caught-up read side: else the slot above's events, still being projected,
            # are queued ahead of every measured command and the figure is that backlog's age.
            caught_up(db, self.log)
            if transfers.budget.exhausted:
                self.notes.append(f"{transfers.budget.exhausted} transfers went out with every "
                                  "principal over its per-minute limit (expect 429s)")
            projection = self.projection(port, transfers, db)
            meta["history_depth"] = self.deep_history(port, principals[0], db)
        report.apply_ratios(classes)
        meta["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        return Report(meta=meta, classes=classes, reads_at_half=reads_at_half,
                      projection=projection, drain=drain, notes=self.notes)

    def drain(self, db: psycopg.Connection[Any], admin: Api, sut: system.System) -> DrainResult:
        """Release the hold and time the submitter and the ledger working off the backlog the
        held slot left. The chain listener is paused meanwhile: the read side (listener, broker,
        projectors) runs as its own deployments in production and, sharing these two cores,
        would take most of them; it catches up afterwards, before anything else is measured."""
        paused = system.pause(sut, "chain-listener")
        try:
            before = outbox_sample(db)
            admin.json("DELETE", HOLD)
            drain = measure_drain(db, self.log, since=before)
        finally:
            system.resume(paused)
        self.log(f"bench: drain {drain.rate:.0f} commands/s ({drain.confirmed} in "
                 f"{drain.seconds:.1f} s)")
        if not paused:
            self.notes.append("the chain listener was not found: the drain shared the cores "
                              "with the read side")
        caught_up(db, self.log)
        return drain

    def deep_history(self, port: int, owner: Principal, db: psycopg.Connection[Any],
                     entries: int = 10_000, page: int = 100) -> dict[str, Any]:
        """p50/p95 of one history page for a user with `entries` entries, walked to the end.

        Ten thousand transfers through the API would take most of the benchmark's budget, so the
        entries are written in the projector's own shape (two lines per transaction, positions
        increasing) into the bench's database; the pages are read over HTTP like any client."""
        from urllib3 import PoolManager

        account = db.execute("SELECT fabric_user_id FROM user_profiles WHERE profile_id = %s",
                             (owner.profile_id,)).fetchone()[0]
        db.execute(
            "INSERT INTO rm_account_entries (tx_id, account_id, kind, counterparty, amount, fee,"
            " remark, block_number, tx_index, occurred_at)"
            " SELECT 'bench-depth-' || i, %s, k, 'SOMEONE', -i, i %% 7, 'depth',"
            "        1000000 + i / 3, i %% 3, now()"
            " FROM generate_series(1, %s) AS i, (VALUES ('SENT'), ('FEE')) AS kinds(k)",
            (account, entries // 2))
        http = PoolManager(maxsize=1)
        headers = {"Authorization": f"Bearer {owner.token}", CLIENT_IP_HEADER: owner.ip}
        path = f"http://127.0.0.1:{port}/api/v1/wallets/{owner.profile_id}/transactions"
        timings: list[float] = []
        cursor: str | None = None
        seen = 0
        while True:
            query = f"?limit={page}" + (f"&after={cursor}" if cursor else "")
            began = time.perf_counter()
            resp = http.request("GET", path + query, headers=headers)
            timings.append((time.perf_counter() - began) * 1000)
            body = resp.json()
            seen += len(body["transactions"])
            cursor = body["nextCursor"]
            if not cursor:
                break
        timings.sort()
        result = {"entries": seen, "pages": len(timings), "page_size": page,
                  "p50_ms": round(statistics.median(timings), 1),
                  "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1)}
        line = (f"history of {seen} entries read in {len(timings)} pages of {page}: "
                f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms per page")
        self.log(f"bench: {line}")
        self.notes.append(line)
        return result

    def projection(self, port: int, transfers: TransferFactory,
                   db: psycopg.Connection[Any]) -> LatencyResult:
        """Accepted (202) -> the transfer's entries visible in the read model, at a fixed rate."""
        c = self.config
        tracker = ProjectionTracker(db)
        tracker.start()

        def on_reply(k: int, n: int, status: int, body: bytes, began: float, done: float) -> None:
            if status == 202:
                tracker.add(json.loads(body)["commandId"], began)

        loadgen.open_loop("127.0.0.1", port, transfers.make, rate=c.projection_rate,
                          connections=min(c.conns, 16), duration_s=c.projection_s,
                          warmup_s=0.0, on_reply=on_reply)
        latencies, missing = tracker.finish(timeout_s=30.0)
        result = report.latency_result("command-to-projection", c.projection_rate, latencies,
                                       PROJECTION_P99_TARGET_MS, missing=missing)
        self.log(f"bench: command-to-projection p50 {result.p50_ms:.0f} ms, "
                 f"p99 {result.p99_ms:.0f} ms ({result.count} commands, {missing} missing)")
        return result


class TransferFactory:
    """Fresh transfers: a principal with budget left, the next principal as recipient, a fresh
    Idempotency-Key each time."""

    def __init__(self, principals: list[Principal], host: str) -> None:
        self.principals = principals
        self.host = host
        self.budget = PrincipalBudget(len(principals), TRANSFER_LIMIT_PER_MIN - 5)

    def make(self, k: int, n: int) -> bytes:
        i = self.budget.next()
        sender = self.principals[i]
        recipient = self.principals[(i + 1) % len(self.principals)]
        body = (f'{{"toUserId":"{recipient.profile_id}","amount":"{TRANSFER_AMOUNT}"}}').encode()
        return loadgen.request_bytes("POST", "/api/v1/transfers", self.host, {
            "Authorization": f"Bearer {sender.token}", CLIENT_IP_HEADER: sender.ip,
            "Idempotency-Key": f"bench-{uuid.uuid4().hex}", "Content-Type": "application/json",
        }, body)


class ProjectionTracker:
    """Polls the read model for accepted transfers' entries (every 10 ms, one indexed query)."""

    POLL_S = 0.01

    def __init__(self, db: psycopg.Connection[Any]) -> None:
        from shared.chain.port import tx_id_for

        self.db = db
        self.tx_id_for = tx_id_for
        self.pending: dict[str, float] = {}
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def add(self, command_id: str, accepted_at: float) -> None:
        with self.lock:
            self.pending[self.tx_id_for(command_id)] = accepted_at

    def _poll(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                wanted = list(self.pending)
            if wanted:
                rows = self.db.execute(
                    "SELECT DISTINCT tx_id FROM rm_account_entries WHERE tenant_id = 'default'"
                    " AND tx_id = ANY(%s)", (wanted,)).fetchall()
                seen = time.monotonic()
                with self.lock:
                    for (tx,) in rows:
                        began = self.pending.pop(tx, None)
                        if began is not None:
                            self.latencies.append(seen - began)
            self.stop.wait(self.POLL_S)

    def finish(self, timeout_s: float) -> tuple[list[float], int]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if not self.pending:
                    break
            time.sleep(0.05)
        self.stop.set()
        self.thread.join()
        return list(self.latencies), len(self.pending)


def outbox_sample(db: psycopg.Connection[Any]) -> tuple[float, int, int]:
    """(monotonic time, unfinished commands, confirmed commands)."""
    row = db.execute(
        "SELECT (SELECT count(*) FROM outbox_queue),"
        " (SELECT count(*) FROM outbox_commands WHERE status = 'CONFIRMED')").fetchone()
    assert row is not None
    return time.monotonic(), int(row[0]), int(row[1])


def measure_drain(db: psycopg.Connection[Any], log: Callable[[str], Any], *,
                  since: tuple[float, int, int], timeout_s: float = 240.0) -> DrainResult:
    """Commands confirmed per second from `since` (taken just before the hold was released,
    with the backlog queued) until the queue is empty."""
    t0, backlog, c0 = since
    log(f"bench: draining a backlog of {backlog} commands")
    t1, left, c1 = t0, backlog, c0
    while left > 0 and t1 - t0 < timeout_s:
        time.sleep(0.05)
        t1, left, c1 = outbox_sample(db)
    return DrainResult(backlog=backlog, confirmed=c1 - c0, seconds=max(t1 - t0, 1e-9))


def caught_up(db: psycopg.Connection[Any], log: Callable[[str], Any],
              timeout_s: float = 240.0) -> None:
    """Wait until the listener has published up to the ledger's height and the broker has
    delivered everything (the read side has caught up)."""
    deadline = time.monotonic() + timeout_s
    log("bench: letting the read side catch up")
    while time.monotonic() < deadline:
        row = db.execute(
            "SELECT (SELECT height FROM ledger.chain_head WHERE id = 1)"
            "       <= coalesce((SELECT max(block_number) FROM chain_checkpoints), 0)"
            "   AND NOT EXISTS (SELECT 1 FROM broker_deliveries)").fetchone()
        if row is not None and row[0]:
            return
        time.sleep(0.2)


def settle(db: psycopg.Connection[Any], log: Callable[[str], Any], timeout_s: float = 240.0) -> None:
    """Wait until the outbox is empty (a slot's backlog must not overlap the next measurement)."""
    deadline = time.monotonic() + timeout_s
    _, left, _ = outbox_sample(db)
    if left:
        log(f"bench: letting the pipeline work off {left} commands")
    while left > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        _, left, _ = outbox_sample(db)


def log_in_all(base_url: str, data: SeedData) -> list[Principal]:
    def one(u: Any) -> Principal:
        api = Api(base_url, ip=u.ip)
        return Principal(u.profile_id, u.ip, api.login(u.email, data.password)["accessToken"])

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, data.users))


def start_bare(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    """The bare function under the same gunicorn settings as the system's HTTP port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:loadtest.bare.app",
         "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
         "--reuse-port",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "loadtest.bare.app:app"],
        cwd=system.PROJECT_ROOT, start_new_session=True, preexec_fn=die_with_parent,  # noqa: PLW1509
        stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_process(proc)
                raise RuntimeError("the bare function's gunicorn did not start") from None
            time.sleep(0.1)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def argon2_cost() -> dict[str, Any]:
    """The password hash's parameters and what one verification costs here (login's floor)."""
    from shared.identity import passwords

    hasher = passwords._hasher()
    stored = passwords.hash_password("Bench-cost-probe-1")
    runs = 5
    began = time.perf_counter()
    for _ in range(runs):
        passwords.verify_password(stored, "Bench-cost-probe-1")
    ms = (time.perf_counter() - began) / runs * 1000
    return {"memory_kib": hasher.memory_cost, "time_cost": hasher.time_cost,
            "parallelism": hasher.parallelism, "verify_ms": round(ms, 1),
            "ceiling_per_s_on_all_cores": round((os.cpu_count() or 1) * 1000 / ms, 0)}


def run(config: BenchConfig, log: Callable[[str], Any] | None = None) -> tuple[Report, Path]:
    bench = Bench(config) if log is None else Bench(config, log=log)
    rep = bench.run()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = report.write_json(rep, config.out_dir / f"bench-{stamp}.json")
    return rep, path
