"""Alert and recording rules, generated from the registry (SLOs per function) and the metrics.

Every alert carries `severity` (critical = page now, warning = look today), a `summary`, a
`description` and a `runbook_url` pointing at its section in docs/runbook.md (a test checks the
section exists). `tests/monitoring/` holds a promtool unit test per alert: the series that fire
it and the ones that must not.

Error budgets use the multi-window, multi-burn-rate scheme (Google SRE workbook, ch. 5): an alert
fires when both a long and a short window burn faster than a factor of the budget, so it fires
fast on a real outage and stops soon after it ends.

| alert | long / short window | burn factor | budget spent when it fires |
|---|---|---|---|
| GXErrorBudgetBurnFast (critical) | 1h / 5m, or 6h / 30m | 14.4, or 6 | 2 %, or 5 % |
| GXErrorBudgetBurnSlow (warning) | 1d / 2h, or 3d / 6h | 3, or 1 | 10 %, or 10 % |

Not covered: reconciliation drift (projected balances against the ledger). No code computes or
exports it yet; add its alert here together with the metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from knative.monitoring.slos import SLOS, by_slo
from knative.spec import FunctionSpec

#: Where the runbook is, relative to the repository root; its sections are the alert names.
RUNBOOK = "docs/runbook.md"

#: Error-ratio windows recorded for the burn-rate alerts.
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")

#: (long window, short window, burn factor) pairs per burn alert.
BURNS = {
    "GXErrorBudgetBurnFast": ("critical", (("1h", "5m", 14.4), ("6h", "30m", 6.0))),
    "GXErrorBudgetBurnSlow": ("warning", (("1d", "2h", 3.0), ("3d", "6h", 1.0))),
}

#: Projection lag thresholds. Readiness of HTTP functions fails at GX_MAX_PROJECTION_LAG (50
#: blocks by default): the blocks alert fires well before reads are taken out of rotation.
PROJECTION_LAG_BLOCKS = 20
PROJECTION_LAG_SECONDS = 120


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        return self.name.lower()

    def rule(self) -> dict[str, Any]:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity, **self.labels},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook_url": f"{RUNBOOK}#{self.anchor}",
            },
        }


def _ratio(metric: str, bad: str, window: str) -> str:
    return (f"sum by (function) (rate({metric}{{{bad}}}[{window}]))\n"
            f"  / sum by (function) (rate({metric}[{window}]))")


def recording_rules() -> list[dict[str, Any]]:
    """Error ratios per function and window: what the burn-rate alerts compare."""
    rules = []
    for w in WINDOWS:
        rules.append({"record": f"gx:http_error_ratio:rate{w}",
                      "expr": _ratio("gx_http_requests_total", 'status=~"5.."', w)})
        rules.append({"record": f"gx:event_error_ratio:rate{w}",
                      "expr": _ratio("gx_events_handled_total",
                                     'outcome=~"retry|dead_lettered"', w)})
    return rules


def _regex(names: Sequence[str]) -> str:
    return "|".join(names)


def burn_alerts(specs: Sequence[FunctionSpec]) -> list[Alert]:
    alerts = []
    for slo_name, functions in by_slo(specs).items():
        slo = SLOS[slo_name]
        budget = round(1 - slo.objective, 6)
        record = "gx:http_error_ratio" if slo.kind == "http" else "gx:event_error_ratio"
        selector = f'{{function=~"{_regex(functions)}"}}'
        for name, (severity, pairs) in BURNS.items():
            clauses = []
            for long, short, factor in pairs:
                threshold = round(factor * budget, 6)
                clauses.append(
                    f"(\n  {record}:rate{long}{selector} > {threshold}\n"
                    f"  and\n  {record}:rate{short}{selector} > {threshold}\n)"
                )
            alerts.append(Alert(
                name=name,
                expr="\nor\n".join(clauses),
                for_="2m" if severity == "critical" else "15m",
                severity=severity,
                labels={"slo": slo_name},
                summary=f"{{{{ $labels.function }}}} is burning its {slo_name} error budget "
                        f"({slo.objective:.1%} SLO) {'fast' if severity == 'critical' else 'steadily'}",
                description="{{ $labels.function }} fails {{ $value | humanizePercentage }} of its "
                            f"{'requests' if slo.kind == 'http' else 'events'} "
                            f"(objective {slo.objective:.1%}, SLO class {slo_name}).",
            ))
    return alerts


def fixed_alerts() -> list[Alert]:
    """Alerts on the pipeline, the ledger port, the rate limiter and the data tier."""
    return [
        Alert("GXTargetDown", 'up{job=~"gx-.*"} == 0', "5m", "critical",
              "{{ $labels.job }} pod {{ $labels.pod }} does not answer /metrics",
              "Prometheus cannot scrape {{ $labels.pod }} ({{ $labels.job }}) for 5 minutes: "
              "the process is hung, crash-looping or its metrics port is closed."),
        Alert("GXChainListenerDown", 'absent(up{job="gx-chain-listener"} == 1)', "5m", "critical",
              "The chain listener is not running",
              "No chain listener has been scraped for 5 minutes: ledger events are not reaching "
              "the broker, so nothing new is projected."),
        Alert("GXChainListenerStalled",
              "time() - max(gx_chain_listener_last_poll_timestamp_seconds) > 60", "2m", "critical",
              "The chain listener has not polled the ledger for {{ $value | humanizeDuration }}",
              "The listener process may be alive but it is not reading the ledger (hung, "
              "waiting for its lock, or the ledger or the database is unreachable)."),
        Alert("GXPipelineMetricsDown", "absent(gx_pipeline_up == 1)", "5m", "warning",
              "The pipeline's state gauges cannot be read",
              "gx_pipeline_up is 0 or missing: the process serving them (the dead-letter sink) "
              "is down or cannot reach the database or the ledger. The outbox, dead-letter and "
              "projection-lag alerts are blind meanwhile."),
        Alert("GXOutboxBacklog",
              "max(gx_outbox_unfinished_commands) > 1000 unless on() max(gx_outbox_held) == 1",
              "10m", "warning",
              "{{ $value }} commands wait in the outbox",
              "More than 1000 accepted commands are not yet on the ledger for 10 minutes "
              "(and no operator hold explains it)."),
        Alert("GXOutboxClaimableCommandStuck",
              "max(gx_outbox_claimable_age_seconds) > 300 unless on() max(gx_outbox_held) == 1",
              "5m", "critical",
              "A command has been claimable for {{ $value | humanizeDuration }} and nobody took it",
              "The oldest command a submitter could claim was accepted more than 5 minutes ago: "
              "announcements are lost and the sweeper is not draining (or cannot reach the "
              "ledger). Users see their payment stay PENDING."),
        Alert("GXOutboxHeldTooLong", "max(gx_outbox_held) == 1", "1h", "warning",
              "Ledger submission has been on hold for over an hour",
              "An operator hold (PUT /api/v1/admin/outbox/hold) is still in place: commands "
              "are accepted but none reaches the ledger."),
        Alert("GXDeadCommands", "max(gx_outbox_dead_commands) > 0", "1m", "warning",
              "{{ $value }} commands are DEAD",
              "Commands ran out of submission attempts and wait for an operator to re-drive "
              "them; their users see FAILED."),
        Alert("GXEventDeadLettersGrowing",
              "sum by (source) (gx_event_dead_letters)"
              " - sum by (source) (gx_event_dead_letters offset 15m) > 0", "1m", "warning",
              "New event dead letters from {{ $labels.source }}",
              "{{ $value }} events were dead-lettered by {{ $labels.source }} in the last 15 "
              "minutes: the read models miss them until they are replayed."),
        Alert("GXProjectionLagBlocks",
              f"max(gx_projection_behind_blocks) > {PROJECTION_LAG_BLOCKS}", "1m", "critical",
              "The read side is {{ $value }} blocks behind the ledger",
              f"More than {PROJECTION_LAG_BLOCKS} committed blocks are not projected for a "
              "minute; at GX_MAX_PROJECTION_LAG (50 by default) HTTP functions report not ready."),
        Alert("GXProjectionLagSeconds",
              f"max(gx_projection_behind_seconds) > {PROJECTION_LAG_SECONDS}", "2m", "critical",
              "The oldest unprojected ledger event is {{ $value | humanizeDuration }} old",
              "Committed transactions have not reached the read models for over "
              f"{PROJECTION_LAG_SECONDS} s: balances and statuses shown to users are stale."),
        Alert("GXLedgerCircuitOpen", "max(gx_ledger_circuit_open) == 1", "2m", "critical",
              "The ledger circuit breaker is open",
              "Calls to the Fabric gateway fail fast: the peer is unreachable or failing. "
              "Commands wait in the outbox (their attempts are not used up)."),
        Alert("GXSubmitLatencyHigh",
              "histogram_quantile(0.99, sum by (le) "
              "(rate(gx_outbox_submit_duration_seconds_bucket[5m]))) > 5", "10m", "warning",
              "99th percentile ledger submission takes {{ $value | humanizeDuration }}",
              "Submitting to the ledger is slow for 10 minutes; the outbox will back up."),
        Alert("GXRateLimiterFailingOpen",
              'sum by (limiter) (rate(gx_ratelimit_redis_unavailable_total{policy="open"}[5m]))'
              " > 0", "2m", "warning",
              "Rate limiter {{ $labels.limiter }} runs without Redis (failing open)",
              "Redis is unreachable: ordinary limits let every request through and login and "
              "registration answer 503 (they fail closed)."),
        Alert("GXPostgresReplicationLag", "max by (pod) (cnpg_pg_replication_lag) > 30", "5m",
              "warning",
              "PostgreSQL replica {{ $labels.pod }} is {{ $value | humanizeDuration }} behind",
              "A CloudNativePG standby lags the primary by more than 30 s: a failover now "
              "could lose what it has not replayed, and read replicas serve stale data."),
        Alert("GXPostgresBackupFailed",
              "max(cnpg_collector_last_failed_backup_timestamp)"
              " > max(cnpg_collector_last_available_backup_timestamp)", "5m", "critical",
              "The last PostgreSQL backup failed",
              "CloudNativePG's most recent backup attempt failed after the last good one."),
        Alert("GXPostgresBackupStale",
              "time() - max(cnpg_collector_last_available_backup_timestamp) > 26 * 3600", "15m",
              "warning",
              "No PostgreSQL backup for {{ $value | humanizeDuration }}",
              "The newest available base backup is older than 26 hours: the daily schedule "
              "did not produce one."),
    ]


def alerts(specs: Sequence[FunctionSpec]) -> list[Alert]:
    return burn_alerts(specs) + fixed_alerts()


def groups(specs: Sequence[FunctionSpec]) -> list[dict[str, Any]]:
    """The rule groups (what a PrometheusRule's spec and a promtool rule file hold)."""
    return [
        {"name": "gx-slo-recording", "rules": recording_rules()},
        {"name": "gx-slo-burn", "rules": [a.rule() for a in burn_alerts(specs)]},
        {"name": "gx-pipeline", "rules": [a.rule() for a in fixed_alerts()]},
    ]


def prometheus_rule(specs: Sequence[FunctionSpec], namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "gx-functions",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/part-of": "gx-functions", "release": "prometheus"},
        },
        "spec": {"groups": groups(specs)},
    }
