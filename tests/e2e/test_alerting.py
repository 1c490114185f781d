"""The generated alerts against a real Prometheus scraping `make run` (`gx dev`).

A Prometheus started here scrapes `gx dev`'s metrics port every second and evaluates the
generated rule groups (knative/generated/monitoring/prometheusrules.yaml, unchanged) every second.
Under a steady stream of commands the chain listener is stopped (SIGSTOP: alive but not polling,
the hung-listener case; `gx dev` does not restart it) and GXProjectionLagBlocks must fire; once
it continues (SIGCONT) the read side catches up and the alert must resolve.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import psutil
import pytest
import yaml
from urllib3 import PoolManager

from shared.runtime.embedded import free_port
from tests.e2e.conftest import LiveSystem
from tests.helpers import bearer
from tests.monitoring import promtool

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

_HTTP = PoolManager(retries=False)
ALERT = "GXProjectionLagBlocks"


class Prometheus:
    def __init__(self, folder: Path, target: str) -> None:
        self.port = free_port()
        rules = promtool.write_rule_file(folder)
        config = folder / "prometheus.yml"
        config.write_text(yaml.safe_dump({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s",
                       "scrape_timeout": "900ms"},
            "rule_files": [str(rules)],
            "scrape_configs": [{"job_name": "gx-dev", "static_configs": [{"targets": [target]}]}],
        }))
        self.log = (folder / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [promtool.tool("prometheus"), f"--config.file={config}",
             f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not self._ready():
            assert self.proc.poll() is None, (folder / "prometheus.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.2)

    def _ready(self) -> bool:
        try:
            return bool(_HTTP.request("GET", f"http://127.0.0.1:{self.port}/-/ready",
                                      timeout=1).status == 200)
        except Exception:  # noqa: BLE001 - not listening yet
            return False

    def api(self, path: str, **fields: str) -> Any:
        resp = _HTTP.request("GET", f"http://127.0.0.1:{self.port}/api/v1/{path}", fields=fields,
                             timeout=5)
        assert resp.status == 200, resp.data
        return json.loads(resp.data)["data"]

    def alert_state(self, name: str) -> str | None:
        states = [a["state"] for a in self.api("alerts")["alerts"]
                  if a["labels"]["alertname"] == name]
        return "firing" if "firing" in states else (states[0] if states else None)

    def value(self, query: str) -> float | None:
        result = self.api("query", query=query)["result"]
        return float(result[0]["value"][1]) if result else None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


@pytest.fixture
def prometheus(live_system: LiveSystem, tmp_path: Path) -> Iterator[Prometheus]:
    server = Prometheus(tmp_path, f"127.0.0.1:{live_system.ports['metrics']}")
    try:
        yield server
    finally:
        server.stop()


def _listener(system: LiveSystem) -> psutil.Process:
    assert system.process is not None
    found = [p for p in psutil.Process(system.process.pid).children(recursive=True)
             if "chain-listener" in " ".join(p.cmdline())]
    assert len(found) == 1, found
    return found[0]


class Traffic:
    """Commands, one after another, from a thread: each becomes a ledger block."""

    def __init__(self, system: LiveSystem) -> None:
        self.system = system
        self.stop = threading.Event()
        self.accepted = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        operator = bearer(str(uuid.uuid4()), "SUPER_ADMIN")
        n = 0
        while not self.stop.is_set():
            n += 1
            resp = self.system.request(
                "POST", "/api/v1/parameters",
                headers={**operator, "Content-Type": "application/json",
                         "Idempotency-Key": f"e2e-alert-{uuid.uuid4()}"},
                body=json.dumps({"paramId": "votingPeriodDays",
                                 "newValue": str(7 + n % 20)}).encode())
            if resp.status == 202:
                self.accepted += 1
            self.stop.wait(0.1)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def _wait(check: Any, timeout_s: float, what: str, prometheus: Prometheus) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(
                f"{what} not within {timeout_s} s; behind="
                f"{prometheus.value('max(gx_projection_behind_blocks)')}, alert="
                f"{prometheus.alert_state(ALERT)}")
        time.sleep(0.5)
    return time.monotonic() - started


def test_projection_lag_alert_fires_when_the_listener_stops_and_resolves_when_it_resumes(
    live_system: LiveSystem, prometheus: Prometheus
) -> None:
    # Scraped, with the pipeline gauges, and quiet before anything happens.
    _wait(lambda: prometheus.value("max(gx_pipeline_up)") == 1, 30, "first scrape", prometheus)
    assert prometheus.alert_state(ALERT) is None
    listener = _listener(live_system)
    with Traffic(live_system) as traffic:
        time.sleep(2)
        listener.send_signal(signal.SIGSTOP)
        stopped_at = time.monotonic()
        try:
            fired_after = _wait(lambda: prometheus.alert_state(ALERT) == "firing", 150,
                                f"{ALERT} firing", prometheus)
            behind = prometheus.value("max(gx_projection_behind_blocks)")
            assert behind is not None and behind > 20
        finally:
            listener.send_signal(signal.SIGCONT)
        resolved_after = _wait(lambda: prometheus.alert_state(ALERT) is None, 90,
                               f"{ALERT} resolved", prometheus)
        assert traffic.accepted > 0
    print(f"\n{ALERT}: fired {fired_after:.1f} s after the listener stopped (rule `for: 1m`), "
          f"resolved {resolved_after:.1f} s after it resumed; {behind:.0f} blocks behind at "
          f"firing; {traffic.accepted} commands accepted; "
          f"{time.monotonic() - stopped_at:.0f} s in all")
    # The listener really was the one stopped and is running again.
    assert listener.status() != psutil.STATUS_STOPPED
