"""Monitoring as code: scrape objects, alert rules and dashboards generated from the registry.

`gx knative render` writes them to knative/generated/monitoring/ next to the function manifests
(and `--check` compares them), so a function added to the registry is scraped, alerted on and
drawn without anyone editing YAML or JSON by hand.

| module | makes |
|---|---|
| `slos.py` | the SLO of every function (written down here, used by the burn-rate alerts) |
| `alerts.py` | the PrometheusRule: recording rules and alerts, each with a runbook section |
| `scrape.py` | PodMonitors (functions, chain listener, dead-letter sink) and the data tier's monitors |
| `dashboards.py` | Grafana dashboards as ConfigMaps for the Grafana sidecar |
| `metrics.py` | the table of every metric the code exports (what dashboards and alerts may query) |
| `render.py` | file name -> content of generated/monitoring/ |
"""
