"""One trace per command, through `make run` (`gx dev`) with OpenTelemetry export on.

`gx dev` runs with GX_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver in this test (a real HTTP
server decoding the real protobuf export requests). A transfer sent with a W3C `traceparent`
must show that trace id in its command status, in the JSON log lines of its accept, submit,
publish (chain listener) and projection, and as one trace of spans: the HTTP server span of the
accept, then outbox.submit, chain.publish and the projection, all with that trace id.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.e2e.conftest import LiveSystem, start_gx_dev, stop_gx_dev
from tests.e2e.test_vertical_slice import GX, admin_client, eventually, finished, funded

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class Collector:
    """An OTLP/HTTP trace receiver: every span it is sent, as (trace id, span id, parent, name)."""

    def __init__(self) -> None:
        self.spans: list[dict[str, str]] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = ExportTraceServiceRequest.FromString(body)
                with collector.lock:
                    for resource in request.resource_spans:
                        for scope in resource.scope_spans:
                            for span in scope.spans:
                                collector.spans.append({
                                    "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                    "parent": span.parent_span_id.hex(), "name": span.name})
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def of_trace(self, trace_id: str) -> list[dict[str, str]]:
        with self.lock:
            return [s for s in self.spans if s["trace_id"] == trace_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    server = Collector()
    yield server
    server.close()


@pytest.fixture(scope="module")
def traced_system(e2e_database: Any, collector: Collector) -> Iterator[LiveSystem]:
    home = Path(tempfile.mkdtemp(prefix="gx-e2e-trace-"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GX_OTLP_ENDPOINT", collector.url)
        system = start_gx_dev(e2e_database(), home)
    assert system.env["GX_OTLP_ENDPOINT"] == collector.url
    yield system
    stop_gx_dev(system, signal.SIGTERM)


def _log_events(system: LiveSystem, trace_id: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for line in system.log_path.read_text(errors="replace").splitlines():
        if trace_id not in line or not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("trace_id") == trace_id:
            found.setdefault(str(entry.get("event")), []).append(entry)
    return found


def test_one_transfer_is_one_trace_in_logs_status_and_spans(
    traced_system: LiveSystem, collector: Collector
) -> None:
    admin = admin_client(traced_system)
    eventually(lambda: admin.json("GET", "/api/v1/system/status")["bootstrapped"],
               what="the ledger bootstrap to be projected")
    a, _ = funded(traced_system, admin, "tracy")
    _, b_profile = funded(traced_system, admin, "trent")

    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    resp = a.call("POST", "/api/v1/transfers", {"toUserId": b_profile["profileId"],
                                                "amount": str(5 * GX)},
                  headers={"Idempotency-Key": f"trace-{uuid.uuid4()}", "traceparent": traceparent})
    assert resp.status == 202, resp.data
    assert resp.headers["traceparent"].split("-")[1] == trace_id
    accepted = resp.json()
    done = finished(a, accepted["statusUrl"])
    assert done["status"] == "CONFIRMED", done
    status = eventually(lambda: (s := a.json("GET", accepted["statusUrl"]))["projected"] and s,
                        what="projected")
    assert status["traceId"] == trace_id

    # The JSON logs: accept, submit, publish, projection, each naming the trace.
    steps = {"outbox.accepted", "outbox.submitted", "chain.event_published", "projected"}
    events = eventually(lambda: (found := _log_events(traced_system, trace_id))
                        and steps <= set(found) and found, timeout_s=30,
                        what=f"log lines of {steps}")
    assert accepted["commandId"] in events["outbox.accepted"][0]["command_ids"]
    assert events["outbox.submitted"][0]["command_id"] == accepted["commandId"]
    assert events["outbox.submitted"][0]["status"] == "CONFIRMED"
    assert events["chain.event_published"][0]["tx_id"] == done["result"]["txId"]
    assert any(e["function"].startswith("project_") for e in events["projected"])

    # The spans (batched by each process's exporter): one trace from the request's server span.
    def spans() -> list[dict[str, str]] | None:
        got = collector.of_trace(trace_id)
        names = {s["name"] for s in got}
        wanted = {"outbox.submit", "chain.publish"}
        if wanted <= names and any(n.startswith("project ") for n in names) and any(
                s["parent"] == traceparent.split("-")[2] for s in got):
            return got
        return None

    started = time.monotonic()
    trace = eventually(spans, timeout_s=30, what="the transfer's spans")
    by_id = {s["span_id"]: s for s in trace}
    server = [s for s in trace if s["parent"] == traceparent.split("-")[2]]
    assert server, "the accept's server span continues the caller's traceparent"
    publish = next(s for s in trace if s["name"] == "chain.publish")
    project = [s for s in trace if s["name"].startswith("project ")]
    # The projection is a child of the publish step, which is in the accept's trace.
    assert any(p["parent"] == publish["span_id"] for p in project)
    assert all(s["trace_id"] == trace_id for s in trace)
    assert {s["name"] for s in trace} >= {"outbox.submit", "chain.publish"}
    assert len(by_id) == len(trace)
    print(f"\none transfer, one trace: {len(trace)} spans "
          f"({sorted({s['name'] for s in trace})}); spans complete "
          f"{time.monotonic() - started:.1f} s after the log lines")
    assert os.environ.get("GX_OTLP_ENDPOINT") != collector.url  # the test's setting stayed local
