"""Fixtures for the runtime tests: test-only CloudEvent functions behind a real events gateway
(HTTP on a free port) and real brokers over the run's PostgreSQL.

The probe functions live in `fixtures/functions/rtprobe/` and are injected as specs, so the real
registry never contains them. Each test uses event types of its own, so tests never see each
other's events.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent
from urllib3 import PoolManager
from werkzeug.serving import make_server

from knative.spec import FunctionSpec
from shared.runtime.broker import Broker, Delivery
from shared.runtime.embedded import free_port
from shared.runtime.gateway import Gateway

FIXTURES = Path(__file__).parent / "fixtures"
PROBES = ("rt_probe_alpha", "rt_probe_beta", "rt_probe_failing", "rt_probe_rejecting",
          "rt_probe_ping")
_HTTP = PoolManager(retries=False)


def probe(name: str, *types: str, schedule: str | None = None) -> FunctionSpec:
    return FunctionSpec(
        name=name, service="rtprobe", kind="cloudevent", summary=f"test probe {name}",
        event_types=types, schedule=schedule,
    )


def unique_type(label: str) -> str:
    return f"org.gxcoin.test.{label}.{secrets.token_hex(4)}.v1"


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, every: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def received(event_ids: list[str] | str) -> list[dict[str, Any]]:
    ids = [event_ids] if isinstance(event_ids, str) else event_ids
    with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True) as conn:
        conn.row_factory = psycopg.rows.dict_row
        return conn.execute(
            "SELECT function, event_id, event_type, attributes, data, received_at"
            " FROM rt_probe_received WHERE event_id = ANY(%s) ORDER BY id",
            (ids,),
        ).fetchall()


def cloud_event(event_type: str, data: Any = None, **attrs: Any) -> CloudEvent:
    attributes = {"type": event_type, "source": "/tests/runtime", "id": secrets.token_hex(8)}
    attributes.update(attrs)
    return CloudEvent(attributes, data if data is not None else {"n": 1})


def post_event(url: str, event: CloudEvent, mode: str = "binary") -> int:
    headers, body = (to_binary if mode == "binary" else to_structured)(event)
    return _HTTP.request("POST", url, headers=headers, body=body).status


@pytest.fixture(scope="session", autouse=True)
def probe_table() -> None:
    path = FIXTURES / "functions/rtprobe/rt_probe_store.py"
    spec = importlib.util.spec_from_file_location("rt_probe_store_ddl", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(module.DDL)


@pytest.fixture(scope="session")
def events_url() -> Iterator[str]:
    """A real events gateway over the probe functions on 127.0.0.1:<free port>."""
    gateway = Gateway([probe(name) for name in PROBES], root=FIXTURES)
    gateway.warm()
    server = make_server("127.0.0.1", free_port(), gateway.events_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_broker(events_url: str) -> Iterator[Callable[..., tuple[Broker, str]]]:
    """Start a broker (ingress on a free port, workers, timer); stopped after the test."""
    brokers: list[Broker] = []

    def start(specs: list[FunctionSpec], *, workers: int = 2, run: bool = True,
              **delivery: Any) -> tuple[Broker, str]:
        settings = {"retry": 2, "backoff_delay_s": 0.05, "timeout_s": 5.0, **delivery}
        broker = Broker(specs=specs, events_url=events_url, delivery=Delivery(**settings),
                        workers=workers if run else 0)
        port = free_port()
        broker.start(port=port)
        brokers.append(broker)
        return broker, f"http://127.0.0.1:{port}/"

    yield start
    for broker in brokers:
        broker.stop()
    with psycopg.connect(os.environ["GX_DATABASE_URL"], autocommit=True) as conn:
        conn.execute("DELETE FROM broker_deliveries WHERE subscriber LIKE 'rt\\_probe\\_%'")
