"""What the image runs: the gunicorn settings, the WSGI entry, and the dead-letter sink.

- knative/gunicorn.conf.py takes workers, threads and timeouts from the environment and every
  name it sets is a real gunicorn setting with a valid value;
- knative/wsgi.py serves the functions-framework app of FUNCTION_TARGET, adding GET /health,
  /ready to CloudEvent apps (which only route POST) for the Knative probes;
- knative/dead_letter_sink.py turns what Knative dead-letters into event_dead_letters rows,
  against the run's real PostgreSQL, in binary and structured content modes.
"""

from __future__ import annotations

import base64
import json
import runpy
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from gunicorn.config import Config

from shared import db
from shared.config import reset_settings
from tests.contract.conftest import ROOT

CONF = ROOT / "knative" / "gunicorn.conf.py"


def _load_conf() -> dict[str, Any]:
    return runpy.run_path(str(CONF))


def server_settings_class() -> Any:
    return _load_conf()["ServerSettings"]


@pytest.fixture()
def fresh_settings() -> Iterator[None]:
    reset_settings()
    yield
    reset_settings()


def test_gunicorn_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("GX_WORKERS", "3")
    monkeypatch.setenv("GX_THREADS", "5")
    monkeypatch.setenv("GX_PORT", "9099")
    monkeypatch.setenv("GX_GUNICORN_GRACEFUL_TIMEOUT_S", "12")
    monkeypatch.setenv("GX_GUNICORN_TIMEOUT_S", "45")
    reset_settings()
    conf = _load_conf()
    assert (conf["workers"], conf["threads"], conf["bind"]) == (3, 5, "0.0.0.0:9099")
    assert (conf["graceful_timeout"], conf["timeout"]) == (12, 45)
    assert conf["worker_class"] == "gthread" and conf["preload_app"] is True
    assert conf["wsgi_app"] == "knative.wsgi:create()"
    cfg = Config()
    names = [k for k in conf if k in cfg.settings]
    for name in names:
        cfg.set(name, conf[name])  # gunicorn validates each value
    assert {"workers", "threads", "bind", "timeout", "graceful_timeout", "wsgi_app"} <= set(names)
    assert cfg.workers == 3 and cfg.threads == 5


def test_gunicorn_settings_reject_a_bad_value(
    monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    monkeypatch.setenv("GX_GUNICORN_LOG_LEVEL", "loud")
    with pytest.raises(ValueError):
        _load_conf()


def _cloudevent_headers(**extra: str) -> dict[str, str]:
    headers = {
        "ce-id": str(uuid.uuid4()),
        "ce-source": "gx/test",
        "ce-type": "org.gxcoin.chain.widget_created.v1",
        "ce-specversion": "1.0",
        "Content-Type": "application/json",
    }
    headers.update({f"ce-{k}": v for k, v in extra.items()})
    return headers


def test_cloudevent_app_gets_probe_routes() -> None:
    from knative.wsgi import create

    app = create("count_ticks", str(ROOT / "tests/contract/fixtures/count_ticks.py"), "cloudevent")
    client = app.test_client()
    assert client.get("/health").json == {"status": "ok"}
    assert client.get("/metrics").status_code in (404, 405)  # its own port, not this one
    ready = client.get("/ready")
    assert ready.status_code in (200, 503) and ready.json["status"] in {"ready", "not_ready"}
    headers = _cloudevent_headers()
    assert client.post("/", headers=headers, data=b"{}").status_code == 200
    assert sys.modules["count_ticks"].RECEIVED == [headers["ce-id"]]
    assert client.put("/health").status_code == 405


def test_http_app_keeps_its_own_operational_routes() -> None:
    from knative.wsgi import create

    app = create("get_openapi", str(ROOT / "functions/admin/get_openapi.py"), "http")
    assert not any(name.startswith("gx_") for name in app.view_functions)
    assert app.test_client().get("/health").status_code == 200


def _dead_letters(event_id: str) -> list[dict[str, Any]]:
    return db.fetch_all(
        "SELECT source, subscriber, event_id, event_type, reason, payload, raw_body, headers"
        " FROM event_dead_letters WHERE event_id = %s",
        (event_id,),
    )


@pytest.fixture(scope="module")
def sink() -> Any:
    from knative.wsgi import create

    return create(
        "record_dead_letter", str(ROOT / "knative/dead_letter_sink.py"), "cloudevent"
    ).test_client()


def test_dead_letter_sink_records_binary_events_once(sink: Any) -> None:
    headers = _cloudevent_headers(
        knativeerrorcode="503",
        knativeerrordest="http://project-widget-changed.gx.svc.cluster.local",
        knativeerrordata=base64.b64encode(b"database unavailable").decode(),
    )
    body = json.dumps({"amount": "10"}).encode()
    assert sink.post("/", headers=headers, data=body).status_code == 200
    assert sink.post("/", headers=headers, data=body).status_code == 200  # a redelivery
    (row,) = _dead_letters(headers["ce-id"])
    assert row["source"] == "broker"
    assert row["subscriber"] == "project-widget-changed"
    assert row["event_type"] == "org.gxcoin.chain.widget_created.v1"
    assert "503" in row["reason"] and "database unavailable" in row["reason"]
    assert row["payload"] == {"amount": "10"}
    assert row["headers"]["knativeerrorcode"] == "503"


def test_dead_letter_sink_keeps_structured_and_non_json_events(sink: Any) -> None:
    event_id = str(uuid.uuid4())
    structured = {
        "specversion": "1.0", "id": event_id, "source": "gx/test",
        "type": "org.gxcoin.command.enqueued.v1", "knativeerrorcode": "500",
        "datacontenttype": "application/json", "data": {"commandId": "c-1"},
    }  # fmt: skip
    response = sink.post(
        "/", data=json.dumps(structured), headers={"Content-Type": "application/cloudevents+json"}
    )
    assert response.status_code == 200
    (row,) = _dead_letters(event_id)
    assert row["payload"] == {"commandId": "c-1"} and row["subscriber"] is None
    headers = _cloudevent_headers(knativeerrorcode="400")
    headers["Content-Type"] = "text/plain"
    assert sink.post("/", headers=headers, data=b"not json").status_code == 200
    (row,) = _dead_letters(headers["ce-id"])
    assert bytes(row["raw_body"]) == b"not json" and row["payload"] is None
