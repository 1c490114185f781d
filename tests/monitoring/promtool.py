"""The real Prometheus tools (Debian's `prometheus` package, installed by `make test`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from knative.monitoring import render as monitoring

RULES = monitoring.OUT / "prometheusrules.yaml"


def tool(name: str) -> str:
    path = shutil.which(name)
    # Never skipped: `make test` installs the package when it is missing.
    assert path, f"{name} is not on PATH: run `make promtool` (or `make test`, which does)"
    return path


def rule_groups() -> list[dict[str, Any]]:
    """The groups of the committed PrometheusRule (a test proves it equals a fresh render)."""
    (rule,) = [d for d in yaml.safe_load_all(RULES.read_text()) if d]
    return list(rule["spec"]["groups"])


def write_rule_file(folder: Path) -> Path:
    path = folder / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule_groups()}, sort_keys=False))
    return path


def run(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)
