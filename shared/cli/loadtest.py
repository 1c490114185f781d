"""`gx loadtest seed --host URL --users N`: funded users for the locust journeys, via the API.

The admin that approves the users' KYC logs in through the API: --admin-email (default
GX_BOOTSTRAP_ADMIN_EMAIL) with its password from GX_BOOTSTRAP_ADMIN_PASSWORD when that is the
account, else from a prompt or stdin's first line (never from the command line). See
loadtest/seed.py for the steps and loadtest/locustfile.py for how to run locust afterwards.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUT = Path("loadtest/results/seed.json")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("loadtest", help="load-test tooling (seed data through the API)")
    actions = p.add_subparsers(dest="action", required=True)
    seed = actions.add_parser("seed", help="create N ACTIVE, funded users through the API")
    seed.add_argument("--host", required=True, help="base URL of the system, e.g. http://127.0.0.1:8080")
    seed.add_argument("--users", type=int, default=50)
    seed.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    seed.add_argument("--admin-email", default=None)
    seed.add_argument("--concurrency", type=int, default=8)
    seed.add_argument("--country", default="NG", help="nationality of the seeded users")
    seed.set_defaults(func=run_seed)


def _admin_credentials(email: str | None) -> tuple[str, str]:
    from shared.cli.admin import read_password
    from shared.config import get_settings

    settings = get_settings()
    email = email or settings.bootstrap_admin_email
    if not email:
        raise SystemExit("gx loadtest seed: give --admin-email (or set GX_BOOTSTRAP_ADMIN_EMAIL)")
    if settings.bootstrap_admin_password and email == settings.bootstrap_admin_email:
        return email, settings.bootstrap_admin_password
    return email, read_password()


def run_seed(args: argparse.Namespace) -> int:
    from loadtest.client import ApiError
    from loadtest.seed import seed

    if args.users < 2:
        print("gx loadtest seed: --users must be at least 2 (payers need a recipient)",
              file=sys.stderr)
        return 2
    email, password = _admin_credentials(args.admin_email)
    try:
        data = seed(args.host, users=args.users, admin_email=email, admin_password=password,
                    concurrency=args.concurrency, country=args.country,
                    log=lambda line: print(line, file=sys.stderr, flush=True))
    except (ApiError, TimeoutError, RuntimeError, OSError) as exc:
        print(f"gx loadtest seed: failed: {exc}", file=sys.stderr)
        return 1
    data.save(args.out)
    print(f"seeded {len(data.users)} users -> {args.out}")
    return 0
