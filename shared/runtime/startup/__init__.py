"""Startup steps `gx dev` runs after the migrations and before it serves: seed data, ledger
bootstrap, ... Each module in this package exposes `ORDER: int` and `run(settings) -> str | None`
(an optional one-line summary) and must be idempotent: it runs on every start. Modules are
discovered, so adding a step touches no other file; they run in (ORDER, name) order and a failing
step stops the start.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any

from shared.config import Settings


def steps() -> list[ModuleType]:
    found = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return sorted(found, key=lambda m: (int(getattr(m, "ORDER", 100)), m.__name__))


def run_all(settings: Settings, report: Callable[[str], Any] = print) -> None:
    for step in steps():
        summary = step.run(settings)
        name = step.__name__.rsplit(".", 1)[-1]
        report(f"startup {name}: {summary or 'done'}")
