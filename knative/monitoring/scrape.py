"""What Prometheus (prometheus-operator) scrapes: PodMonitors and a ServiceMonitor.

| job | what | port |
|---|---|---|
| gx-functions | every function of the registry (HTTP, event handlers, scheduled) | GX_METRICS_PORT (9090) |
| gx-chain-listener | the ContainerSource pod running `gx chain-listener` | 9090 |
| gx-dead-letter | the broker's dead-letter sink; also serves the pipeline's state gauges | 9090 |
| gx-postgres | CloudNativePG instances (`cnpg_*`: replication lag, backups) | `metrics` (9187) |
| gx-pgbouncer | CloudNativePG poolers (`cnpg_pgbouncer_*`) | `metrics` (9127) |
| gx-redis | the Redis/Valkey exporter's Service | `redis-exporter` (9121) |

Functions are selected by the labels the renderer puts on every pod template
(`app.kubernetes.io/part-of: gx-functions` and their `component`), so a new function is scraped
as soon as it is deployed. Each target gets `job` (the table above) and `service` (the pod's
`app.kubernetes.io/name`: the Knative Service) labels; the metrics carry their own `function`.
The metrics port is not a declared container port (Knative allows one, the serving port), hence
`portNumber`. Knative scales idle functions to zero: their series end, which is not an outage
(`up == 0` is, GXTargetDown).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from knative.spec import FunctionSpec

METRICS_PORT = 9090
DATA_NAMESPACE = "gx-data"
INTERVAL = "30s"

_COMPONENT = {"http": "http", "cloudevent": "event-handler"}


def _relabel(job: str) -> list[dict[str, Any]]:
    return [
        {"targetLabel": "job", "replacement": job, "action": "replace"},
        {"sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
         "targetLabel": "service", "action": "replace"},
    ]


def _pod_monitor(name: str, namespace: str, selector: dict[str, Any], endpoint: dict[str, Any],
                 namespaces: list[str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": selector, "podMetricsEndpoints": [endpoint]}
    if namespaces:
        spec["namespaceSelector"] = {"matchNames": namespaces}
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"app.kubernetes.io/part-of": "gx-functions"}},
        "spec": spec,
    }


def _gx_endpoint(job: str) -> dict[str, Any]:
    return {"portNumber": METRICS_PORT, "path": "/metrics", "interval": INTERVAL,
            "scrapeTimeout": "10s", "relabelings": _relabel(job)}


def scrape_objects(specs: Sequence[FunctionSpec], namespace: str) -> list[dict[str, Any]]:
    components = sorted({_COMPONENT[s.kind] for s in specs}
                        | ({"scheduled"} if any(s.schedule for s in specs) else set()))
    return [
        _pod_monitor(
            "gx-functions", namespace,
            {"matchLabels": {"app.kubernetes.io/part-of": "gx-functions"},
             "matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In",
                                   "values": components}]},
            _gx_endpoint("gx-functions"),
        ),
        _pod_monitor("gx-chain-listener", namespace,
                     {"matchLabels": {"app.kubernetes.io/name": "gx-chain-listener"}},
                     _gx_endpoint("gx-chain-listener")),
        _pod_monitor("gx-dead-letter", namespace,
                     {"matchLabels": {"app.kubernetes.io/name": "gx-dead-letter"}},
                     _gx_endpoint("gx-dead-letter")),
        _pod_monitor(
            "gx-postgres", namespace,
            {"matchLabels": {"cnpg.io/podRole": "instance"}},
            {"port": "metrics", "interval": INTERVAL, "relabelings": [
                {"targetLabel": "job", "replacement": "gx-postgres", "action": "replace"}]},
            [DATA_NAMESPACE],
        ),
        _pod_monitor(
            "gx-pgbouncer", namespace,
            {"matchExpressions": [{"key": "cnpg.io/poolerName", "operator": "Exists"}]},
            {"port": "metrics", "interval": INTERVAL, "relabelings": [
                {"targetLabel": "job", "replacement": "gx-pgbouncer", "action": "replace"}]},
            [DATA_NAMESPACE],
        ),
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": "gx-redis", "namespace": namespace,
                         "labels": {"app.kubernetes.io/part-of": "gx-functions"}},
            "spec": {
                "namespaceSelector": {"matchNames": [DATA_NAMESPACE]},
                "selector": {"matchLabels": {"app.kubernetes.io/component": "redis-exporter"}},
                "endpoints": [{"port": "redis-exporter", "interval": INTERVAL, "relabelings": [
                    {"targetLabel": "job", "replacement": "gx-redis", "action": "replace"}]}],
            },
        },
    ]
