"""The registry, the function tree and the committed manifests agree (STYLE.md §8).

- every module under functions/ is registered exactly once, and every spec's source exists and
  loads with `create_app(target, source, signature_type)` as Knative runs it;
- every registry entry has exactly one Knative Service and every CloudEvent function one Trigger
  per type it handles (and a PingSource when scheduled);
- rendering is deterministic and knative/generated/ equals a fresh render: the drift guard that
  fails when a function is added, changed or removed without `gx knative render`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from knative import render
from knative.registry import FUNCTIONS
from knative.spec import FunctionSpec
from tests.contract.conftest import ROOT, SYNTHETIC, objects_of
from tests.helpers import app_for


def _function_modules() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "functions").glob("*/*.py")
        if p.name != "__init__.py"
    )


def test_every_function_module_is_registered_exactly_once() -> None:
    sources = Counter(s.source for s in FUNCTIONS)
    assert {s: n for s, n in sources.items() if n > 1} == {}
    assert sorted(sources) == _function_modules()


@pytest.mark.parametrize("name", [s.name for s in FUNCTIONS])
def test_every_spec_loads_as_knative_runs_it(name: str) -> None:
    app = app_for(name)  # functions_framework.create_app(target, source, signature type)
    assert app.view_functions, name


def _coverage(specs: tuple[FunctionSpec, ...], objects: list[dict[str, Any]]) -> None:
    services = Counter(o["metadata"]["name"] for o in objects if o["kind"] == "Service")
    assert services == Counter(s.service_name for s in specs)
    for spec in specs:
        (svc,) = [
            o
            for o in objects
            if o["kind"] == "Service" and o["metadata"]["name"] == spec.service_name
        ]
        env = {
            e["name"]: e.get("value")
            for e in svc["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["FUNCTION_TARGET"] == spec.name
        assert env["FUNCTION_SOURCE"] == spec.source
        assert env["FUNCTION_SIGNATURE_TYPE"] == spec.kind
        spec_tpl = svc["spec"]["template"]
        assert spec_tpl["spec"]["containerConcurrency"] == spec.scale.concurrency
        assert spec_tpl["spec"]["timeoutSeconds"] == spec.timeout_s
        annotations = spec_tpl["metadata"]["annotations"]
        assert annotations["autoscaling.knative.dev/min-scale"] == str(spec.scale.min)
        assert annotations["autoscaling.knative.dev/max-scale"] == str(spec.scale.max)
        resources = spec_tpl["spec"]["containers"][0]["resources"]
        assert resources["limits"]["memory"] == spec.resources.memory_limit
        assert resources["requests"]["cpu"] == spec.resources.cpu_request
        triggers = [
            o for o in objects
            if o["kind"] == "Trigger"
            and o["spec"]["subscriber"]["ref"]["name"] == spec.service_name
        ]  # fmt: skip
        handled = sorted(t["spec"]["filter"]["attributes"]["type"] for t in triggers)
        assert handled == sorted(set(spec.event_types)), spec.name
        pings = [
            o for o in objects
            if o["kind"] == "PingSource" and o["spec"]["sink"]["ref"]["name"] == spec.service_name
        ]  # fmt: skip
        assert [p["spec"]["schedule"] for p in pings] == ([spec.schedule] if spec.schedule else [])
    names = [o["metadata"]["name"] for o in objects if o["kind"] == "Trigger"]
    assert len(names) == len(set(names)), "trigger names collide"


def test_registry_coverage(generated_objects: list[dict[str, Any]]) -> None:
    _coverage(FUNCTIONS, generated_objects)


def test_synthetic_coverage(synthetic_objects: list[dict[str, Any]]) -> None:
    _coverage(SYNTHETIC, synthetic_objects)


def test_render_is_deterministic() -> None:
    first = render.render_registry()
    assert first == render.render_registry()
    synthetic = render.render(SYNTHETIC, image="i")
    assert synthetic == render.render(tuple(reversed(SYNTHETIC)), image="i")


def test_committed_manifests_equal_a_fresh_render() -> None:
    changes = render.differences(render.render_registry())
    assert changes == [], f"knative/generated/ is stale ({changes}): run `gx knative render`"


def test_drift_is_detected_and_repaired(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    files = render.render(SYNTHETIC[:3], image="i")
    assert render.write(files, out)  # first write creates everything
    assert render.differences(files, out) == []
    grown = render.render(SYNTHETIC[:4], image="i")  # a function added without re-rendering
    assert "missing: update_widget.yaml" in render.differences(grown, out)
    assert "differs: httproutes.yaml" in render.differences(grown, out)
    (out / "list_widgets.yaml").write_text("edited by hand\n")
    assert "differs: list_widgets.yaml" in render.differences(files, out)
    shrunk = render.render(SYNTHETIC[1:3], image="i")  # a function removed
    render.write(shrunk, out)
    assert render.differences(shrunk, out) == []
    assert not (out / "list_widgets.yaml").exists()


def test_cli_check_fails_on_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from shared.cli import main

    out = tmp_path / "gen"
    assert main(["knative", "render", "--check", "--out", str(out)]) == 1
    assert main(["knative", "render", "--out", str(out)]) == 0
    assert main(["knative", "render", "--check", "--out", str(out)]) == 0
    assert objects_of({p.name: p.read_text() for p in out.glob("*.yaml")})
    capsys.readouterr()


def test_names_are_dns_labels() -> None:
    long = "x" * 80
    label = render.dns_label(long, "Type.With_Odd.chars")
    assert len(label) <= 63 and label == render.dns_label(long, "Type.With_Odd.chars")
    assert render.dns_label("a_b", "c.d") == "a-b-c-d"


def _catalogue_types() -> set[str]:
    import json

    return set(json.loads((ROOT / "events" / "catalogue.json").read_text())["types"])


def test_every_catalogued_event_type_has_a_trigger(generated_objects: list[dict[str, Any]]) -> None:
    """A chain event type nobody subscribes to would be acknowledged by the broker and lost."""
    triggered = {
        o["spec"]["filter"]["attributes"]["type"]
        for o in generated_objects
        if o["kind"] == "Trigger"
    }
    assert sorted(_catalogue_types() - triggered) == []


def test_every_handled_event_type_is_emitted_somewhere() -> None:
    """A Trigger on a misspelt type would never fire: each handled type is either a catalogued
    chain event or a platform event whose type string appears in shared/ (where it is emitted)."""
    shared_text = "\n".join(p.read_text() for p in (ROOT / "shared").rglob("*.py"))
    handled = {t for s in FUNCTIONS for t in s.event_types}
    unknown = {t for t in handled - _catalogue_types() if f'"{t}"' not in shared_text}
    assert sorted(unknown) == []
