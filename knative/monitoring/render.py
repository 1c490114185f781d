"""knative/generated/monitoring/: the monitoring objects, written by `gx knative render`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from knative import render as knative_render
from knative.monitoring import alerts, dashboards, metrics, scrape
from knative.spec import FunctionSpec

OUT = knative_render.GENERATED / "monitoring"


def render(specs: Sequence[FunctionSpec], namespace: str = knative_render.NAMESPACE) -> dict[str, str]:
    """File name -> content of generated/monitoring/."""
    ordered = sorted(specs, key=lambda s: s.name)
    files = {
        "prometheusrules.yaml": knative_render._dump([alerts.prometheus_rule(ordered, namespace)]),
        "monitors.yaml": knative_render._dump(scrape.scrape_objects(ordered, namespace)),
        "metrics.md": metrics.table(),
        "dashboards.yaml": knative_render._dump(dashboards.config_maps(namespace)),
    }
    return dict(sorted(files.items()))


def render_registry() -> dict[str, str]:
    from knative.registry import FUNCTIONS

    return render(FUNCTIONS)


def differences(files: dict[str, str], out: Path = OUT) -> list[str]:
    """What a render would change in `out` (every file there is generated)."""
    from knative.render import changed_files

    existing = {p.name: p for p in out.glob("*")} if out.is_dir() else {}
    return changed_files(files, existing, "monitoring/")


def write(files: dict[str, str], out: Path = OUT) -> list[str]:
    changes = differences(files, out)
    out.mkdir(parents=True, exist_ok=True)
    for path in out.glob("*"):
        if path.name not in files:
            path.unlink()
    for name, text in files.items():
        if not (out / name).exists() or (out / name).read_text() != text:
            (out / name).write_text(text)
    return changes
