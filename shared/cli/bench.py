"""`gx bench` (`make bench`): throughput and latency of every endpoint class on this machine,
as ratios to a bare functions-framework function measured in the same run.

It starts its own system (production server settings, a database of its own on the PostgreSQL
server GX_DATABASE_URL names, or an embedded one; the Redis at GX_REDIS_URL or an embedded one),
prints one table and writes loadtest/results/bench-<time>.json. See loadtest/bench.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="measure req/s, p50/p99, projection latency, outbox drain")
    p.add_argument("--duration", type=float, default=8.0, help="measured seconds per slot")
    p.add_argument("--warmup", type=float, default=1.5, help="unmeasured seconds before each")
    p.add_argument("--users", type=int, default=150,
                   help="seeded principals (transfers are limited to 120/min each)")
    p.add_argument("--connections", type=int, default=0,
                   help="concurrent connections (default GX_WORKERS x GX_THREADS)")
    p.add_argument("--projection-rate", type=float, default=100.0, help="commands/s")
    p.add_argument("--out", type=Path, default=None, help="results folder (loadtest/results)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from loadtest.bench import RESULTS, BenchConfig
    from loadtest.bench import run as bench
    from loadtest.report import table
    from shared.config import get_settings

    settings = get_settings()
    config = BenchConfig(
        duration_s=args.duration, warmup_s=args.warmup, users=max(2, args.users),
        workers=settings.workers, threads=settings.threads, connections=args.connections,
        projection_rate=args.projection_rate, database_url=settings.database_url,
        redis_url=settings.redis_url, s3_endpoint=settings.s3_endpoint,
        out_dir=args.out or RESULTS,
    )
    report, path = bench(config)
    print(table(report))
    print(f"\nJSON: {path}")
    return 0
