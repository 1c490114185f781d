"""Startup step: load the reference data (countries, system parameters); idempotent (`gx seed`)."""

from __future__ import annotations

from shared.config import Settings

ORDER = 10


def run(settings: Settings) -> str:
    from shared.seed import run_seed

    return run_seed(dsn=settings.require("database_url")).summary()
