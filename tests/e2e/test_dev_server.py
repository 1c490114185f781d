"""`gx dev` end to end: what `make run` promises, checked over HTTP against the real process tree."""

from __future__ import annotations

import json
import signal
import tempfile
from pathlib import Path

import psutil
import pytest
from openapi_spec_validator import validate

from knative.registry import http_functions
from tests.e2e.conftest import LiveSystem, start_gx_dev, stop_gx_dev

pytestmark = pytest.mark.e2e


def test_health_and_ready_answer_200(live_system: LiveSystem):
    health = live_system.request("GET", "/health")
    assert health.status == 200 and health.json() == {"status": "ok"}
    ready = live_system.request("GET", "/ready")
    assert ready.status == 200 and ready.json()["status"] == "ready"


def test_openapi_document_is_valid_openapi_3_1(live_system: LiveSystem):
    response = live_system.request("GET", "/api/v1/openapi.json")
    assert response.status == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert all(spec.path in document["paths"] for spec in http_functions())


def test_unknown_route_is_404_problem_json(live_system: LiveSystem):
    response = live_system.request("GET", "/api/v1/definitely/not/a/route")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    body = json.loads(response.data)
    assert body["status"] == 404 and body["code"] == "ROUTE_NOT_FOUND"


def test_wrong_method_is_405_with_allow(live_system: LiveSystem):
    response = live_system.request("DELETE", "/api/v1/openapi.json")
    assert response.status == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"GET", "OPTIONS"}
    assert json.loads(response.data)["code"] == "METHOD_NOT_ALLOWED"


def test_metrics_aggregate_the_workers_on_their_own_port_only(live_system: LiveSystem):
    for _ in range(4):
        live_system.request("GET", "/api/v1/openapi.json")
    from urllib3 import PoolManager

    metrics = PoolManager(retries=False).request(
        "GET", f"http://127.0.0.1:{live_system.ports['metrics']}/metrics")
    assert metrics.status == 200
    assert b'gx_http_requests_total{function="get_openapi"' in metrics.data
    public = live_system.request("GET", "/metrics")
    assert public.status == 404 and b"gx_http_requests_total" not in public.data
    assert public.headers["traceparent"].startswith("00-")


def test_broker_ingress_accepts_cloudevents_and_refuses_incomplete_ones(live_system: LiveSystem):
    from urllib3 import PoolManager

    http = PoolManager(retries=False)
    headers = {"ce-specversion": "1.0", "ce-id": "e2e-1", "ce-source": "/tests/e2e",
               "ce-type": "org.gxcoin.test.e2e_unrouted.v1", "content-type": "application/json"}
    assert http.request("POST", live_system.broker_url, headers=headers, body=b"{}").status == 202
    del headers["ce-id"]
    assert http.request("POST", live_system.broker_url, headers=headers, body=b"{}").status == 400


def test_event_functions_and_broker_listen_on_loopback_only(live_system: LiveSystem):
    private = {live_system.ports["events"], live_system.ports["broker"]}
    live_system.track_descendants()
    found = set()
    for pid in live_system.seen:
        try:
            for conn in psutil.Process(pid).net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.port in private:
                    assert conn.laddr.ip == "127.0.0.1"
                    found.add(conn.laddr.port)
        except psutil.NoSuchProcess:
            continue
    assert found == private


def test_ctrl_c_stops_every_process_and_port(e2e_database):
    """A second `gx dev` of its own, stopped with SIGINT as a terminal's Ctrl-C does."""
    system = start_gx_dev(e2e_database(), Path(tempfile.mkdtemp(prefix="gx-e2e-int-")))
    assert system.request("GET", "/health").status == 200
    assert len(system.seen) >= 4  # two gunicorn masters (with workers), broker, chain listener
    stop_gx_dev(system, signal.SIGINT)
