"""The dashboards render from code, their queries are valid PromQL (promtool parses them), and
no panel or alert queries a metric the code does not export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from knative.monitoring import dashboards
from knative.monitoring.alerts import alerts, recording_rules
from knative.monitoring.metrics import EXTERNAL, series_names
from knative.registry import FUNCTIONS
from tests.contract.k8s_schemas import errors
from tests.monitoring import promtool

_KEYWORDS = {"by", "without", "on", "ignoring", "and", "or", "unless", "bool", "offset",
             "group_left", "group_right", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression selects (functions, labels, keywords left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # strings
    text = re.sub(r"\{[^}]*\}", " ", text)                    # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)                   # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for m in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        if m.group(2) or m.group(1).lower() in _KEYWORDS:
            continue  # a function call, or a keyword
        names.add(m.group(1))
    return names


def _queries() -> list[tuple[str, str, str]]:
    return [(d.title, p["title"], t["expr"]) for d in dashboards.dashboards()
            for p in d.model()["panels"] for t in p["targets"]]


def test_metric_names_are_found_in_queries() -> None:
    expr = ('histogram_quantile(0.99, sum by (function, le) (rate(gx_x_bucket{a="b"}[5m])))'
            ' / on() max(gx:y:rate5m) - time() + up{job=~"gx-.*"} offset 5m')
    assert metric_names(expr) == {"gx_x_bucket", "gx:y:rate5m", "up"}


def test_four_dashboards_as_sidecar_config_maps() -> None:
    maps = dashboards.config_maps("gx")
    assert [m["metadata"]["name"] for m in maps] == [
        "grafana-dashboard-gx-overview", "grafana-dashboard-gx-pipeline",
        "grafana-dashboard-gx-money", "grafana-dashboard-gx-data-tier"]
    for cm in maps:
        assert errors(cm) == []
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        (body,) = cm["data"].values()
        model = json.loads(body)
        ids = [p["id"] for p in model["panels"]]
        assert model["panels"] and len(ids) == len(set(ids))
        for panel in model["panels"]:
            assert panel["targets"], panel["title"]
            assert 0 <= panel["gridPos"]["x"] and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24


def test_no_panel_queries_a_metric_the_code_does_not_export() -> None:
    exported = series_names()
    recorded = {r["record"] for r in recording_rules()}
    external_ok = {n for n in EXTERNAL}
    for dashboard, panel, expr in _queries():
        unknown = metric_names(expr) - exported - recorded
        assert not unknown, f"{dashboard} / {panel}: {sorted(unknown)} in {expr}"
        # Outside the data tier, only our own metrics (and `up`).
        if dashboard != "GX data tier":
            assert not (metric_names(expr) & (external_ok - {"up"})), (dashboard, panel)


def test_no_alert_queries_a_metric_the_code_does_not_export() -> None:
    allowed = series_names() | {r["record"] for r in recording_rules()}
    for alert in alerts(FUNCTIONS):
        assert metric_names(alert.expr) <= allowed, (alert.name, metric_names(alert.expr) - allowed)


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool parses recording rules' expressions: one rule per panel query.
    rules = [{"record": f"gx:panel_{i}", "expr": expr} for i, (_, _, expr) in enumerate(_queries())]
    path = tmp_path / "panels.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = promtool.run(promtool.tool("promtool"), "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
