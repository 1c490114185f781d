"""The dev gateway over the real registry: operational routes, 404/405 problems, dispatch to the
functions-framework apps, and the events gateway."""

from __future__ import annotations

import json

import pytest
from cloudevents.conversion import to_binary
from werkzeug.test import Client

from knative.registry import FUNCTIONS, http_functions
from shared.runtime.gateway import Gateway
from tests.integration.runtime.conftest import FIXTURES, cloud_event, probe, received, unique_type


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    return Gateway(FUNCTIONS)


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> Client:
    return Client(gateway.http_app)


def test_health_and_ready_are_answered_by_the_gateway(client):
    health = client.get("/health")
    assert health.status_code == 200 and health.json == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json["checks"]["database"] == {"status": "up"}
    # The Kubernetes spellings of the same probes.
    assert client.get("/livez").json == {"status": "ok"}
    readyz = client.get("/readyz")
    assert readyz.status_code == 200 and readyz.json["checks"] == ready.json["checks"]


def test_metrics_are_not_on_the_public_port(client):
    client.get("/api/v1/openapi.json")
    metrics = client.get("/metrics")
    assert metrics.status_code == 404
    assert b"gx_http_requests_total" not in metrics.data
    assert metrics.headers["traceparent"].startswith("00-")


def test_metrics_server_exposes_prometheus_text_on_its_own_port():
    import socket
    import urllib.request

    from shared.observability import start_metrics_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert start_metrics_server(port, "127.0.0.1")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        assert b"gx_http_requests_total" in reply.read()
    assert not start_metrics_server(port, "127.0.0.1")  # taken: logged, never fatal


def test_registered_route_reaches_its_function(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.1")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_route_is_a_404_problem(client):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    body = json.loads(response.data)
    assert body["status"] == 404 and body["code"] == "ROUTE_NOT_FOUND"
    assert body["instance"] == "/api/v1/no/such/thing" and body["requestId"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_wrong_method_is_a_405_problem_listing_every_registered_method(client):
    by_path: dict[str, set[str]] = {}
    for spec in http_functions():
        by_path.setdefault(spec.path, set()).add(spec.method)
    path, methods = max(by_path.items(), key=lambda item: len(item[1]))
    concrete = path.replace("{", "").replace("}", "")  # any value fills a parameter
    wrong = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in methods)
    response = client.open(concrete, method=wrong)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    allow = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allow == methods | {"OPTIONS"}
    assert json.loads(response.data)["code"] == "METHOD_NOT_ALLOWED"


def test_events_gateway_serves_event_functions_only_by_name():
    t = unique_type("gateway")
    gateway = Gateway([probe("rt_probe_alpha", t)], root=FIXTURES)
    client = Client(gateway.events_app)
    event = cloud_event(t, {"x": 1})
    headers, body = to_binary(event)
    assert client.post("/rt_probe_alpha", headers=headers, data=body).status_code == 200
    assert [r["function"] for r in received(event["id"])] == ["rt_probe_alpha"]
    missing = client.post("/rt_probe_beta", headers=headers, data=body)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"


def test_event_functions_are_not_reachable_on_the_public_port():
    gateway = Gateway([probe("rt_probe_alpha", unique_type("private"))], root=FIXTURES)
    response = Client(gateway.http_app).post("/rt_probe_alpha", data=b"{}")
    assert response.status_code == 404


def test_a_function_that_fails_to_load_does_not_take_the_others_down():
    broken = probe("rt_probe_broken", unique_type("broken"))
    gateway = Gateway([broken, probe("rt_probe_alpha", unique_type("ok"))], root=FIXTURES)
    gateway.warm()  # logs the broken one, loads the other
    client = Client(gateway.events_app)
    response = client.post("/rt_probe_broken", data=b"{}")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "broken on purpose" not in response.get_data(as_text=True)
    event = cloud_event(unique_type("ok"))
    headers, body = to_binary(event)
    assert client.post("/rt_probe_alpha", headers=headers, data=body).status_code == 200
