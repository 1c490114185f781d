"""knative/generated/monitoring/: the monitoring objects, written by `gx knative render`."""

from __future__ import annotations

from collections.abc import Sequence

from knative import render as knative_render
from knative.monitoring import alerts, scrape
from knative.spec import FunctionSpec

OUT = knative_render.GENERATED / "monitoring"


def render(specs: Sequence[FunctionSpec], namespace: str = knative_render.NAMESPACE) -> dict[str, str]:
    """File name -> content of generated/monitoring/."""
    ordered = sorted(specs, key=lambda s: s.name)
    files = {
        "prometheusrules.yaml": knative_render._dump([alerts.prometheus_rule(ordered, namespace)]),
        "monitors.yaml": knative_render._dump(scrape.scrape_objects(ordered, namespace)),
    }
    return dict(sorted(files.items()))


def render_registry() -> dict[str, str]:
    from knative.registry import FUNCTIONS

    return render(FUNCTIONS)
