"""`gx migrate`: apply pending migrations to GX_DATABASE_URL."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("migrate", help="apply pending SQL migrations (forward-only)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shared.config import get_settings
    from shared.migrate import migrate

    applied = migrate(get_settings().require("database_url"))
    print("\n".join(f"applied {name}" for name in applied) or "database is up to date")
    return 0
