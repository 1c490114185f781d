"""promtool unit tests, one pair per alert: series that must fire it and series that must not.

`promtool_tests()` turns these into the `tests:` of a promtool test file; the expected
annotations are the alert's own, with `summary` (and `description` where it is templated) as
each case states them, so a broken template fails here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from knative.monitoring.alerts import Alert, alerts
from knative.monitoring.slos import by_slo
from knative.registry import FUNCTIONS

_SLO_FUNCS = by_slo(FUNCTIONS)
COMMAND_FN = _SLO_FUNCS["command"][0]
QUERY_FN = _SLO_FUNCS["query"][0]
PROJECTOR_FN = _SLO_FUNCS["projection"][0]


@dataclass
class Expect:
    labels: dict[str, str]
    summary: str
    description: str | None = None  # None: the alert's fixed description


@dataclass
class Case:
    alert: str
    series: dict[str, str]  # series -> promtool values
    eval_time: str
    fires: list[Expect] = field(default_factory=list)  # empty: must stay quiet
    interval: str = "1m"
    #: Rule evaluation step; promtool evaluates every rule at each step up to eval_time, so a
    #: case that spans a day uses a coarser one (each file has one step).
    evaluation_interval: str = "1m"


def _http(fn: str, ok: str, errors: str) -> dict[str, str]:
    return {
        f'gx_http_requests_total{{function="{fn}",method="POST",status="202"}}': ok,
        f'gx_http_requests_total{{function="{fn}",method="POST",status="500"}}': errors,
    }


def _events(fn: str, ok: str, retried: str) -> dict[str, str]:
    return {
        f'gx_events_handled_total{{function="{fn}",type="t",outcome="projected"}}': ok,
        f'gx_events_handled_total{{function="{fn}",type="t",outcome="retry"}}': retried,
    }


def _burn(fn: str, slo: str, objective: str, speed: str, severity: str, pct: str) -> Expect:
    return Expect(
        {"function": fn, "slo": slo, "severity": severity},
        f"{fn} is burning its {slo} error budget ({objective} SLO) {speed}",
        f"{fn} fails {pct} of its {'events' if slo == 'projection' else 'requests'} "
        f"(objective {objective}, SLO class {slo}).",
    )


CASES: list[Case] = [
    # 10 errors per 110 requests: 9 % against a 0.1 % budget burns it 90 times too fast.
    Case("GXErrorBudgetBurnFast", _http(COMMAND_FN, "0+100x60", "0+10x60"), "10m",
         [_burn(COMMAND_FN, "command", "99.9%", "fast", "critical", "9.091%")]),
    Case("GXErrorBudgetBurnFast", _http(QUERY_FN, "0+100x60", "0+10x60"), "10m",
         [_burn(QUERY_FN, "query", "99.5%", "fast", "critical", "9.091%")]),
    Case("GXErrorBudgetBurnFast", _events(PROJECTOR_FN, "0+100x60", "0+10x60"), "10m",
         [_burn(PROJECTOR_FN, "projection", "99.9%", "fast", "critical", "9.091%")]),
    # 0.4 %: within what the fast alert tolerates (1.44 % / 0.6 %), not the slow one (0.3 %).
    Case("GXErrorBudgetBurnFast", _http(COMMAND_FN, "0+1000x60", "0+4x60"), "30m"),
    Case("GXErrorBudgetBurnSlow", _http(COMMAND_FN, "0+1000x60", "0+4x60"), "30m",
         [_burn(COMMAND_FN, "command", "99.9%", "steadily", "warning", "0.3984%")]),
    # 0.4 % is within the query class's budget (99.5 %): quiet.
    Case("GXErrorBudgetBurnSlow", _http(QUERY_FN, "0+1000x60", "0+4x60"), "30m"),
    # 0.05 %: half the budget's rate, which lasts the 30 days.
    Case("GXErrorBudgetBurnSlow", _http(COMMAND_FN, "0+1000x60", "0+0.5x60"), "30m"),
    Case("GXTargetDown",
         {'up{job="gx-functions",pod="p1",service="create-transfer"}': "1 0 0 0 0 0 0 0"}, "7m",
         [Expect({"job": "gx-functions", "pod": "p1", "service": "create-transfer"},
                 "gx-functions pod p1 does not answer /metrics",
                 "Prometheus cannot scrape p1 (gx-functions) for 5 minutes: the process is "
                 "hung, crash-looping or its metrics port is closed.")]),
    Case("GXTargetDown", {'up{job="gx-functions",pod="p1"}': "1 0 0 1 0 0 1 0",
                          'up{job="other",pod="x"}': "0x8"}, "7m"),
    Case("GXChainListenerDown", {'up{job="gx-functions",pod="p1"}': "1x10"}, "6m",
         [Expect({}, "The chain listener is not running")]),
    Case("GXChainListenerDown", {'up{job="gx-chain-listener",pod="l"}': "1x10"}, "6m"),
    Case("GXChainListenerStalled",
         {"gx_chain_listener_last_poll_timestamp_seconds": "60 120 180 180 180 180 180 180"},
         "7m", [Expect({}, "The chain listener has not polled the ledger for 4m 0s")]),
    Case("GXChainListenerStalled",
         {"gx_chain_listener_last_poll_timestamp_seconds": "0+60x10"}, "7m"),
    Case("GXPipelineMetricsDown", {"gx_pipeline_up": "0x10"}, "6m",
         [Expect({}, "The pipeline's state gauges cannot be read")]),
    Case("GXPipelineMetricsDown", {"gx_pipeline_up": "1x10"}, "6m"),
    Case("GXOutboxBacklog", {"gx_outbox_unfinished_commands": "2000x20", "gx_outbox_held": "0x20"},
         "11m", [Expect({}, "2000 commands wait in the outbox")]),
    Case("GXOutboxBacklog", {"gx_outbox_unfinished_commands": "2000x20", "gx_outbox_held": "1x20"},
         "11m"),
    Case("GXOutboxBacklog", {"gx_outbox_unfinished_commands": "10x20"}, "11m"),
    Case("GXOutboxClaimableCommandStuck",
         {"gx_outbox_claimable_age_seconds": "400x10", "gx_outbox_held": "0x10"}, "6m",
         [Expect({}, "A command has been claimable for 6m 40s and nobody took it")]),
    Case("GXOutboxClaimableCommandStuck",
         {"gx_outbox_claimable_age_seconds": "400x10", "gx_outbox_held": "1x10"}, "6m"),
    Case("GXOutboxClaimableCommandStuck", {"gx_outbox_claimable_age_seconds": "20x10"}, "6m"),
    Case("GXOutboxHeldTooLong", {"gx_outbox_held": "1x70"}, "65m",
         [Expect({}, "Ledger submission has been on hold for over an hour")]),
    Case("GXOutboxHeldTooLong", {"gx_outbox_held": "1x30 0x40"}, "65m"),
    Case("GXDeadCommands", {"gx_outbox_dead_commands": "0 1 1 1"}, "3m",
         [Expect({}, "1 commands are DEAD")]),
    Case("GXDeadCommands", {"gx_outbox_dead_commands": "0x5"}, "4m"),
    Case("GXEventDeadLettersGrowing",
         {'gx_event_dead_letters{source="broker"}': "0x20 1x10",
          'gx_event_dead_letters{source="projector"}': "2x30"}, "23m",
         [Expect({"source": "broker"}, "New event dead letters from broker",
                 "1 events were dead-lettered by broker in the last 15 minutes: the read models "
                 "miss them until they are replayed.")]),
    Case("GXEventDeadLettersGrowing", {'gx_event_dead_letters{source="broker"}': "3x40"}, "30m"),
    Case("GXProjectionLagBlocks", {"gx_projection_behind_blocks": "30x5"}, "2m",
         [Expect({}, "The read side is 30 blocks behind the ledger")]),
    Case("GXProjectionLagBlocks", {"gx_projection_behind_blocks": "10x5"}, "2m"),
    Case("GXProjectionLagSeconds", {"gx_projection_behind_seconds": "200x5"}, "3m",
         [Expect({}, "The oldest unprojected ledger event is 3m 20s old")]),
    Case("GXProjectionLagSeconds", {"gx_projection_behind_seconds": "30x5"}, "3m"),
    Case("GXLedgerCircuitOpen", {'gx_ledger_circuit_open{pod="a"}': "1x5"}, "3m",
         [Expect({}, "The ledger circuit breaker is open")]),
    Case("GXLedgerCircuitOpen", {'gx_ledger_circuit_open{pod="a"}': "1 0 1 0 1 0"}, "5m"),
    Case("GXSubmitLatencyHigh",
         {'gx_outbox_submit_duration_seconds_bucket{mode="batch",le="5"}': "0+1x30",
          'gx_outbox_submit_duration_seconds_bucket{mode="batch",le="10"}': "0+100x30",
          'gx_outbox_submit_duration_seconds_bucket{mode="batch",le="+Inf"}': "0+100x30"},
         "20m", [Expect({}, "99th percentile ledger submission takes 9.949s")]),
    Case("GXSubmitLatencyHigh",
         {'gx_outbox_submit_duration_seconds_bucket{mode="batch",le="0.5"}': "0+100x30",
          'gx_outbox_submit_duration_seconds_bucket{mode="batch",le="5"}': "0+100x30",
          'gx_outbox_submit_duration_seconds_bucket{mode="batch",le="+Inf"}': "0+100x30"},
         "20m"),
    Case("GXRateLimiterFailingOpen",
         {'gx_ratelimit_redis_unavailable_total{limiter="fees",policy="open"}': "0+5x10"}, "5m",
         [Expect({"limiter": "fees"}, "Rate limiter fees runs without Redis (failing open)")]),
    Case("GXRateLimiterFailingOpen",
         {'gx_ratelimit_redis_unavailable_total{limiter="login",policy="closed"}': "0+5x10",
          'gx_ratelimit_redis_unavailable_total{limiter="fees",policy="open"}': "3x10"}, "5m"),
    Case("GXPostgresReplicationLag", {'cnpg_pg_replication_lag{pod="gx-pg-2"}': "60x10"}, "6m",
         [Expect({"pod": "gx-pg-2"}, "PostgreSQL replica gx-pg-2 is 1m 0s behind")]),
    Case("GXPostgresReplicationLag", {'cnpg_pg_replication_lag{pod="gx-pg-2"}': "1x10"}, "6m"),
    Case("GXPostgresBackupFailed",
         {"cnpg_collector_last_failed_backup_timestamp": "2000x10",
          "cnpg_collector_last_available_backup_timestamp": "1000x10"}, "6m",
         [Expect({}, "The last PostgreSQL backup failed")]),
    Case("GXPostgresBackupFailed",
         {"cnpg_collector_last_failed_backup_timestamp": "1000x10",
          "cnpg_collector_last_available_backup_timestamp": "2000x10"}, "6m"),
    # CloudNativePG exports the timestamp on every scrape: samples a minute apart (a sparser
    # series would go stale between samples and never hold the alert's `for`).
    Case("GXPostgresBackupStale", {"cnpg_collector_last_available_backup_timestamp": "0x1700"},
         "28h", [Expect({}, "No PostgreSQL backup for 1d 4h 0m 0s")], evaluation_interval="5m"),
    Case("GXPostgresBackupStale",
         {"cnpg_collector_last_available_backup_timestamp": "0+60x1700"}, "28h",
         evaluation_interval="5m"),
]


def _by_name() -> dict[str, Alert]:
    return {a.name: a for a in alerts(FUNCTIONS)}


def promtool_tests(rule_file: str) -> dict[str, dict[str, Any]]:
    """Evaluation interval -> the promtool test file for the cases that use it."""
    known = _by_name()
    files: dict[str, dict[str, Any]] = {}
    for case in CASES:
        alert = known[case.alert]
        exp = []
        for e in case.fires:
            rule = alert.rule()
            exp.append({
                "exp_labels": {**rule["labels"], **e.labels},
                "exp_annotations": {
                    "summary": e.summary,
                    "description": e.description or alert.description,
                    "runbook_url": rule["annotations"]["runbook_url"],
                },
            })
        tests = files.setdefault(case.evaluation_interval, {
            "rule_files": [rule_file], "evaluation_interval": case.evaluation_interval,
            "tests": []})["tests"]
        tests.append({
            "name": f"{case.alert} {'fires' if exp else 'stays quiet'} at {case.eval_time}",
            "interval": case.interval,
            "input_series": [{"series": s, "values": v} for s, v in case.series.items()],
            "alert_rule_test": [
                {"eval_time": case.eval_time, "alertname": case.alert, "exp_alerts": exp}
            ],
        })
    return files
