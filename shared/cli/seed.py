"""`gx seed`: load the reference data (countries, system-parameter catalogue) into GX_DATABASE_URL.

Idempotent: missing rows are inserted, existing values are never overwritten (spec/rules.md §13),
so it is safe to run on every deploy. Prints a one-line summary; exits 1 on malformed data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("seed", help="load countries and system parameters (idempotent)")
    p.add_argument(
        "--countries",
        type=Path,
        default=None,
        metavar="CSV",
        help="countries CSV (code,name,region,allocation_share); default: the packaged list",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shared.seed import SeedDataError, load_countries, run_seed

    try:
        result = run_seed(countries=load_countries(args.countries))
    except SeedDataError as exc:
        print(f"seed: refused, nothing written: {exc}", file=sys.stderr)
        return 1
    print(result.summary())
    return 0
