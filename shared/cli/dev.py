"""`gx dev [--fresh]`: run the whole system locally (what `make run` starts); see shared.runtime.dev."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dev",
        help="serve every function on GX_PORT with the broker, the timer and local servers",
    )
    p.add_argument(
        "--fresh", action="store_true", help="wipe GX_HOME (.gx/: embedded servers' data) first"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shared.config import get_settings
    from shared.runtime.dev import DevError, DevRunner

    try:
        return DevRunner(get_settings(), fresh=args.fresh).run()
    except DevError as exc:
        print(f"gx dev: {exc}")
        return 1
