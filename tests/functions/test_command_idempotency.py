"""Idempotency-Key through the real endpoint pipeline, with a command endpoint that enqueues.

Acceptance 3: same key twice -> one command and the same response; same key with another body
-> 422; no key -> two commands. Plus: a duplicate sent while the first request runs waits for it
and replays its reply, errors are not stored, a request that dies half-way leaves neither its
command nor its key behind, keys are per principal.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import ClassVar

import flask
import pytest
from pydantic import BaseModel, Field

from knative.spec import FunctionSpec
from shared import db
from shared.errors import ValidationFailed
from shared.http import Call, handle
from shared.outbox import Command, CommandAccepted, enqueue
from tests.helpers import bearer
from tests.integration.outbox.sample_commands import (
    PARAM,
    SET_PARAM,
    TEST_CATALOGUE,
    sample_commands_cleanup,  # noqa: F401 - fixture
)


class SetParamBody(BaseModel):
    stream: str = Field(min_length=1, max_length=64)
    newValue: str


gate: dict[str, threading.Event] = {}


def set_param(call: Call):  # type: ignore[no-untyped-def]
    if call.body.newValue == "fail":
        raise ValidationFailed("refused by the service", code="REFUSED")
    with db.transaction() as conn:
        command = enqueue(
            conn,
            Command(SET_PARAM, {"stream": call.body.stream, "paramId": PARAM,
                                "newValue": call.body.newValue},
                    request_id=call.idempotency_key, principal_id=call.user.sub),
            catalogue=TEST_CATALOGUE,
        )
    if call.body.stream in gate:  # hold the request after its command is written
        gate[call.body.stream].wait(10)
    if call.body.newValue == "crash":
        raise RuntimeError("the worker died after writing its command")
    return CommandAccepted.reply(command)


SPEC = FunctionSpec(
    name="set_param_test",
    service="admin",
    kind="http",
    summary="test command endpoint",
    method="POST",
    path="/api/v1/test/params",
    auth="user",
    command=True,
    request_model="tests.functions.test_command_idempotency:SetParamBody",
    response_status=202,
)
app = flask.Flask(__name__)


pytestmark = pytest.mark.usefixtures("sample_commands_cleanup")


def post(body: dict, headers: dict[str, str]) -> flask.Response:  # type: ignore[type-arg]
    with app.test_request_context(SPEC.path, method="POST", json=body, headers=headers):
        return handle(SPEC, set_param, flask.request)


def count(principal: str) -> int:
    row = db.fetch_one(
        "SELECT count(*) AS n FROM outbox_commands WHERE principal_id = %s", (principal,)
    )
    return int(row["n"])  # type: ignore[index]


def key() -> str:
    return f"test-key-{uuid.uuid4()}"


def test_same_key_twice_gives_one_command_and_the_same_response() -> None:
    user = str(uuid.uuid4())
    headers = {**bearer(user), "Idempotency-Key": key()}
    first = post({"stream": "a", "newValue": "5"}, headers)
    second = post({"newValue": "5", "stream": "a"}, headers)  # same JSON, other key order
    assert first.status_code == second.status_code == 202
    assert second.get_data() == first.get_data()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    body = json.loads(first.get_data())
    assert first.headers["Location"] == second.headers["Location"] == f"/api/v1/commands/{body['commandId']}"
    assert count(user) == 1


def test_x_idempotency_key_header_works_too() -> None:
    user = str(uuid.uuid4())
    headers = {**bearer(user), "X-Idempotency-Key": key()}
    a = post({"stream": "a", "newValue": "5"}, headers)
    b = post({"stream": "a", "newValue": "5"}, headers)
    assert b.get_data() == a.get_data() and b.headers["Idempotent-Replayed"] == "true"
    assert count(user) == 1


def test_same_key_with_another_body_is_422() -> None:
    user = str(uuid.uuid4())
    headers = {**bearer(user), "Idempotency-Key": key()}
    assert post({"stream": "a", "newValue": "5"}, headers).status_code == 202
    resp = post({"stream": "a", "newValue": "6"}, headers)
    assert resp.status_code == 422
    assert json.loads(resp.get_data())["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert count(user) == 1


def test_no_key_gives_two_commands() -> None:
    user = str(uuid.uuid4())
    a = post({"stream": "a", "newValue": "5"}, bearer(user))
    b = post({"stream": "a", "newValue": "5"}, bearer(user))
    assert a.status_code == b.status_code == 202
    assert json.loads(a.get_data())["commandId"] != json.loads(b.get_data())["commandId"]
    assert count(user) == 2


def test_same_key_while_the_first_request_runs_waits_and_replays_its_reply() -> None:
    user = str(uuid.uuid4())
    stream = f"slow-{uuid.uuid4().hex[:8]}"
    gate[stream] = threading.Event()
    headers = {**bearer(user), "Idempotency-Key": key()}
    results: dict[str, flask.Response] = {}
    first = threading.Thread(
        target=lambda: results.setdefault("first", post({"stream": stream, "newValue": "1"},
                                                        headers)))
    second = threading.Thread(
        target=lambda: results.setdefault("second", post({"stream": stream, "newValue": "1"},
                                                         headers)))
    try:
        first.start()
        for _ in range(250):  # until the first holds its (uncommitted) command
            if db.fetch_one("SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                            " WHERE l.locktype = 'advisory' AND a.state = 'idle in transaction'"):
                break
            time.sleep(0.02)
        second.start()
        time.sleep(0.3)  # the second is now waiting on the first's outbox row
        assert "second" not in results
    finally:
        gate[stream].set()
        first.join()
        second.join()
        del gate[stream]
    a, b = results["first"], results["second"]
    assert a.status_code == b.status_code == 202
    assert a.get_data() == b.get_data()
    assert "Idempotent-Replayed" not in a.headers and b.headers["Idempotent-Replayed"] == "true"
    assert count(user) == 1


def test_errors_are_not_stored_so_the_key_can_be_retried() -> None:
    user = str(uuid.uuid4())
    headers = {**bearer(user), "Idempotency-Key": key()}
    assert post({"stream": "a", "newValue": "fail"}, headers).status_code == 422
    assert post({"stream": "a", "newValue": "fail"}, headers).status_code == 422
    assert count(user) == 0


def test_a_request_that_dies_half_way_leaves_nothing_behind() -> None:
    user = str(uuid.uuid4())
    headers = {**bearer(user), "Idempotency-Key": key()}
    crashed = post({"stream": "a", "newValue": "crash"}, headers)
    assert crashed.status_code == 500
    assert count(user) == 0  # its command rolled back with it
    assert db.fetch_one("SELECT 1 FROM idempotency_keys WHERE principal_id = %s", (user,)) is None
    # The client's retry with the same key runs afresh (a fixed body; the crash was ours).
    again = post({"stream": "a", "newValue": "crash"}, headers)
    assert again.status_code == 500 and count(user) == 0
    ok = post({"stream": "a", "newValue": "5"}, {**bearer(user), "Idempotency-Key": key()})
    assert ok.status_code == 202 and count(user) == 1


def test_an_expired_key_is_a_new_request() -> None:
    user = str(uuid.uuid4())
    headers = {**bearer(user), "Idempotency-Key": key()}
    first = post({"stream": "a", "newValue": "5"}, headers)
    db.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 s'"
               " WHERE principal_id = %s", (user,))
    again = post({"stream": "a", "newValue": "5"}, headers)
    assert again.status_code == 202 and "Idempotent-Replayed" not in again.headers
    # The outbox still knows the request id: the re-run finds the command the first created.
    assert json.loads(again.get_data())["commandId"] == json.loads(first.get_data())["commandId"]
    assert count(user) == 1


def test_keys_are_per_principal() -> None:
    k = key()
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    a = post({"stream": "a", "newValue": "5"}, {**bearer(alice), "Idempotency-Key": k})
    b = post({"stream": "a", "newValue": "5"}, {**bearer(bob), "Idempotency-Key": k})
    assert a.status_code == b.status_code == 202
    assert "Idempotent-Replayed" not in b.headers
    assert json.loads(a.get_data())["commandId"] != json.loads(b.get_data())["commandId"]


def test_malformed_key_is_400() -> None:
    resp = post({"stream": "a", "newValue": "5"}, {**bearer(), "Idempotency-Key": "short"})
    assert resp.status_code == 400
    assert json.loads(resp.get_data())["code"] == "INVALID_IDEMPOTENCY_KEY"


class _Broker(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    hold: ClassVar[threading.Event | None] = None  # set: answer; unset: keep the sender waiting

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Broker.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        if _Broker.hold is not None:
            _Broker.hold.wait(5)
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[dict[str, str], bytes]]]:
    from shared.config import reset_settings

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Broker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Broker.received = []
    _Broker.hold = None
    monkeypatch.setenv("GX_BROKER_URL", f"http://127.0.0.1:{server.server_address[1]}/")
    reset_settings()
    try:
        yield _Broker.received
    finally:
        server.shutdown()
        monkeypatch.undo()
        reset_settings()


def test_accepted_command_is_announced_once_after_commit(broker) -> None:  # type: ignore[no-untyped-def]
    headers = {**bearer(), "Idempotency-Key": key()}
    first = post({"stream": "a", "newValue": "5"}, headers)
    post({"stream": "a", "newValue": "5"}, headers)  # replay: nothing new to announce
    command_id = json.loads(first.get_data())["commandId"]

    def naming_it() -> list[tuple[dict[str, str], bytes]]:  # an earlier test's may arrive late
        return [(h, b) for h, b in broker if command_id in json.loads(b)["commandIds"]]

    deadline = time.monotonic() + 5  # announcements leave in the background, after the reply
    while not naming_it() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # and a second one would have arrived by now
    assert len(naming_it()) == 1
    event_headers, body = naming_it()[0]
    assert event_headers["ce-type"] == "org.gxcoin.command.enqueued.v1"
    data = json.loads(body)  # it may share the event with an earlier test's command
    assert data["commandIds"].count(command_id) == 1
    assert event_headers["ce-id"] == data["commandId"] == data["commandIds"][0]


def test_commands_accepted_while_an_announcement_is_in_flight_share_the_next(broker) -> None:  # type: ignore[no-untyped-def]
    from shared.outbox import announce_later
    from shared.outbox.reply import ANNOUNCE_BATCH

    _Broker.hold = threading.Event()
    announce_later(["first"], source="test")
    deadline = time.monotonic() + 5
    while not broker and time.monotonic() < deadline:  # the sender is now waiting on the broker
        time.sleep(0.01)
    later = [f"cmd-{i}" for i in range(150)]
    for command_id in later:  # 150 accepted commands, each announced on its own
        announce_later([command_id], source="test")
    _Broker.hold.set()
    while len(broker) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    named = [json.loads(body)["commandIds"] for _, body in broker]
    assert named[0] == ["first"]
    assert [len(ids) for ids in named[1:]] == [ANNOUNCE_BATCH, 150 - ANNOUNCE_BATCH]
    assert sum(named[1:], []) == later
    assert [h["ce-id"] for h, _ in broker] == [ids[0] for ids in named]
