"""Grafana dashboards, generated as Grafana's JSON model and shipped as ConfigMaps that the
Grafana sidecar (label `grafana_dashboard: "1"`) loads.

Written in plain Python rather than with grafana-foundation-sdk: the model needed here (time
series and stat panels with PromQL targets) is a few dictionaries, and this keeps the image's
locked dependency set free of a builder library used only at render time. A test checks that
every query uses only metrics the code exports (knative/monitoring/metrics.py) or series the
generated recording rules define.

| dashboard | shows |
|---|---|
| GX overview | request rate, errors and latency per function; event handling per projector; SLO burn |
| GX command pipeline | accepted -> submitted -> committed -> projected; depth, ages, dead commands and letters, lag, the listener, the breaker |
| GX money | transfers and fees per minute, volume, supply conservation |
| GX data tier | PostgreSQL (CloudNativePG) replication, backups, connections, size; Redis as the limiter sees it |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


@dataclass
class Panel:
    title: str
    targets: list[tuple[str, str]]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    description: str = ""


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    rows: list[list[Panel]] = field(default_factory=list)

    def model(self) -> dict[str, Any]:
        panels: list[dict[str, Any]] = []
        y = 0
        next_id = 1
        for row in self.rows:
            width = 24 // len(row)
            for i, panel in enumerate(row):
                panels.append({
                    "id": next_id,
                    "type": panel.kind,
                    "title": panel.title,
                    "description": panel.description,
                    "datasource": DATASOURCE,
                    "gridPos": {"h": 8, "w": width, "x": i * width, "y": y},
                    "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                    "options": {"legend": {"displayMode": "list", "placement": "bottom"}}
                    if panel.kind == "timeseries" else {"reduceOptions": {"calcs": ["lastNotNull"]}},
                    "targets": [
                        {"refId": chr(ord("A") + n), "datasource": DATASOURCE, "expr": expr,
                         "legendFormat": legend}
                        for n, (expr, legend) in enumerate(panel.targets)
                    ],
                })
                next_id += 1
            y += 8
        return {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["gx-functions"],
            "editable": False,
            "schemaVersion": 39,
            "time": {"from": "now-6h", "to": "now"},
            "refresh": "30s",
            "templating": {"list": [{
                "name": "datasource", "type": "datasource", "query": "prometheus",
                "label": "Prometheus",
            }]},
            "panels": panels,
        }


def _rate(metric: str, by: str = "", selector: str = "", window: str = "5m") -> str:
    inner = f"rate({metric}{{{selector}}}[{window}])" if selector else f"rate({metric}[{window}])"
    return f"sum by ({by}) ({inner})" if by else f"sum({inner})"


def overview() -> Dashboard:
    p99 = ("histogram_quantile(0.99, sum by (function, le) "
           "(rate(gx_http_request_duration_seconds_bucket[5m])))")
    p50 = ("histogram_quantile(0.5, sum by (function, le) "
           "(rate(gx_http_request_duration_seconds_bucket[5m])))")
    return Dashboard("gx-overview", "GX overview", "Rate, errors and latency per function", [
        [Panel("Requests per second by function",
               [(_rate("gx_http_requests_total", "function"), "{{function}}")], "reqps"),
         Panel("5xx per second by function",
               [(_rate("gx_http_requests_total", "function", 'status=~"5.."'), "{{function}}")],
               "reqps")],
        [Panel("Latency p99 by function", [(p99, "{{function}}")], "s"),
         Panel("Latency p50 by function", [(p50, "{{function}}")], "s")],
        [Panel("Error codes (4xx and 5xx) per second",
               [(_rate("gx_http_errors_total", "code"), "{{code}}")], "reqps"),
         Panel("Events handled per second by outcome",
               [(_rate("gx_events_handled_total", "outcome"), "{{outcome}}")], "ops")],
        [Panel("HTTP error ratio, 1h (SLO burn input)",
               [("gx:http_error_ratio:rate1h", "{{function}}")], "percentunit"),
         Panel("Projector error ratio, 1h (SLO burn input)",
               [("gx:event_error_ratio:rate1h", "{{function}}")], "percentunit"),
         Panel("Targets up", [('sum by (job) (up{job=~"gx-.*"})', "{{job}}")])],
    ])


def pipeline() -> Dashboard:
    submit_buckets = "sum by (le) (rate(gx_outbox_submit_duration_seconds_bucket[5m]))"
    return Dashboard(
        "gx-pipeline", "GX command pipeline",
        "Commands from acceptance to projection: rates, backlog, ages, dead letters, lag", [
            [Panel("Accepted -> submitted -> committed -> projected (per second)", [
                (_rate("gx_outbox_enqueued_total"), "accepted"),
                (_rate("gx_outbox_submit_duration_seconds_count"), "submitted (ledger calls)"),
                (_rate("gx_outbox_outcomes_total", selector='status="CONFIRMED"'), "committed"),
                (_rate("gx_events_handled_total", selector='outcome="projected"'), "projected"),
            ], "ops")],
            [Panel("Outbox depth", [
                ("max(gx_outbox_unfinished_commands)", "unfinished"),
                ("max(gx_outbox_claimable_commands)", "claimable now"),
            ]),
             Panel("Oldest claimable command age", [
                 ("max(gx_outbox_claimable_age_seconds)", "oldest claimable")], "s"),
             Panel("Outcomes per second by status",
                   [(_rate("gx_outbox_outcomes_total", "status"), "{{status}}")], "ops")],
            [Panel("Dead commands", [("max(gx_outbox_dead_commands)", "dead")], kind="stat"),
             Panel("Open event dead letters by source",
                   [("sum by (source) (gx_event_dead_letters)", "{{source}}")]),
             Panel("Outbox held", [("max(gx_outbox_held)", "held")], kind="stat")],
            [Panel("Projection lag (blocks)", [
                ("max(gx_projection_behind_blocks)", "behind the ledger"),
                ("max(gx_ledger_height_blocks)", "ledger height"),
                ("max(gx_projected_height_blocks)", "projected height"),
            ]),
             Panel("Projection lag (seconds)",
                   [("max(gx_projection_behind_seconds)", "oldest unprojected event")], "s")],
            [Panel("Submit latency p99 / p50", [
                (f"histogram_quantile(0.99, {submit_buckets})", "p99"),
                (f"histogram_quantile(0.5, {submit_buckets})", "p50"),
            ], "s"),
             Panel("Chain listener: seconds since its last poll", [
                 ("time() - max(gx_chain_listener_last_poll_timestamp_seconds)", "listener")],
                 "s"),
             Panel("Ledger circuit breaker open", [("max(gx_ledger_circuit_open)", "open")],
                   kind="stat")],
        ])


def money() -> Dashboard:
    sent = 'kind="SENT"'
    fee = 'kind="FEE"'
    transfers = _rate("gx_money_entries_total", selector=sent)
    fees = _rate("gx_money_qirat_total", selector=fee)
    volume = _rate("gx_money_qirat_total", selector=sent)
    kinds = _rate("gx_money_entries_total", "kind")
    return Dashboard("gx-money", "GX money", "Transfers, fees and the supply, as projected", [
        [Panel("Transfers per minute", [
            (f"{transfers} * 60", "transfers")], "short"),
         Panel("Fees per minute (GX)", [
             (f"{fees} * 60 / 1e6", "fees")], "short")],
        [Panel("Volume sent per minute (GX)", [
            (f"{volume} * 60 / 1e6", "sent")], "short"),
         Panel("History rows per minute by kind", [
             (f"{kinds} * 60", "{{kind}}")], "short")],
        [Panel("Supply conservation: total minus projected balances (Qirat)", [
            ("max(gx_supply_total_qirat) - max(gx_supply_projected_qirat)", "difference")],
            kind="stat",
            description="0 once bootstrapped and caught up; while the read side lags it is the "
                        "money in flight (see the projection lag)."),
         Panel("Projected supply (GX)", [("max(gx_supply_projected_qirat) / 1e6", "projected"),
                                         ("max(gx_supply_total_qirat) / 1e6", "total")])],
    ])


def data_tier() -> Dashboard:
    return Dashboard("gx-data-tier", "GX data tier",
                     "PostgreSQL (CloudNativePG), PgBouncer and Redis as the functions see them", [
        [Panel("Replication lag by pod", [("max by (pod) (cnpg_pg_replication_lag)", "{{pod}}")],
               "s"),
         Panel("Age of the newest backup", [
             ("time() - max(cnpg_collector_last_available_backup_timestamp)", "newest backup")],
             "s")],
        [Panel("Connections by pod", [("sum by (pod) (cnpg_backends_total)", "{{pod}}")]),
         Panel("Database size", [("max by (datname) (cnpg_pg_database_size_bytes)",
                                  "{{datname}}")], "bytes")],
        [Panel("Data-tier targets up",
               [('sum by (job) (up{job=~"gx-postgres|gx-pgbouncer|gx-redis"})', "{{job}}")]),
         Panel("Rate-limit checks without Redis per second", [
             (_rate("gx_ratelimit_redis_unavailable_total", "policy"), "{{policy}}")], "ops"),
         Panel("Pipeline state readable (database and ledger reachable)",
               [("max(gx_pipeline_up)", "up")], kind="stat")],
    ])


def dashboards() -> list[Dashboard]:
    return [overview(), pipeline(), money(), data_tier()]


def config_maps(namespace: str) -> list[dict[str, Any]]:
    return [{
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"grafana-dashboard-{d.uid}",
            "namespace": namespace,
            "labels": {"grafana_dashboard": "1", "app.kubernetes.io/part-of": "gx-functions"},
        },
        "data": {f"{d.uid}.json": json.dumps(d.model(), indent=1, sort_keys=True) + "\n"},
    } for d in dashboards()]
