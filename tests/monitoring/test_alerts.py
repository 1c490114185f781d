"""The generated alert rules, checked and unit-tested by the real promtool, and the generated
monitoring objects validated against the prometheus-operator CRDs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from knative.monitoring import render as monitoring
from knative.monitoring.alerts import alerts
from knative.registry import FUNCTIONS
from tests.contract.k8s_schemas import errors
from tests.monitoring import promtool
from tests.monitoring.cases import CASES, promtool_tests

ROOT = Path(__file__).resolve().parents[2]


def test_generated_monitoring_is_up_to_date() -> None:
    files = monitoring.render_registry()
    on_disk = {p.name: p.read_text() for p in monitoring.OUT.glob("*")}
    assert on_disk == files, "knative/generated/monitoring/ is stale: run `gx knative render`"


def test_monitoring_objects_validate_against_their_crds() -> None:
    objects = [o for name, text in monitoring.render_registry().items() if name.endswith(".yaml")
               for o in yaml.safe_load_all(text) if o]
    assert {o["kind"] for o in objects} == {"PrometheusRule", "PodMonitor", "ServiceMonitor",
                                           "ConfigMap"}
    for obj in objects:
        assert errors(obj) == [], obj["metadata"]["name"]


def test_promtool_check_rules(tmp_path: Path) -> None:
    rules = promtool.write_rule_file(tmp_path)
    result = promtool.run(promtool.tool("promtool"), "check", "rules", str(rules))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("step", sorted(promtool_tests("rules.yaml")))
def test_promtool_unit_tests(tmp_path: Path, step: str) -> None:
    promtool.write_rule_file(tmp_path)
    test_file = tmp_path / "tests.yaml"
    test_file.write_text(yaml.safe_dump(promtool_tests("rules.yaml")[step], sort_keys=False))
    result = promtool.run(promtool.tool("promtool"), "test", "rules", str(test_file), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    names = {a.name for a in alerts(FUNCTIONS)}
    firing = {c.alert for c in CASES if c.fires}
    quiet = {c.alert for c in CASES if not c.fires}
    assert names - firing == set(), "alerts without a case that fires them"
    assert names - quiet == set(), "alerts without a case that must not fire them"
    assert {c.alert for c in CASES} <= names


def test_every_alert_is_labelled_and_annotated() -> None:
    for alert in alerts(FUNCTIONS):
        rule = alert.rule()
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert re.fullmatch(r"docs/runbook\.md#[a-z0-9-]+", rule["annotations"]["runbook_url"])
