"""A command's life through `make run` (`gx dev`), as a client sees it.

POST a command with an Idempotency-Key -> 202 with commandId and a Location -> poll the Location
until the command is finished. In between, the endpoint's `command.enqueued` event reaches
`submit_command` through the dev broker (or the sweeper's tick picks it up), which submits it
to the embedded ledger.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import LiveSystem
from tests.helpers import bearer

pytestmark = pytest.mark.e2e


def post_command(system: LiveSystem, path: str, headers: dict[str, str],
                 body: dict[str, Any] | None = None) -> Any:
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    return system.request("POST", path, headers=headers,
                          body=json.dumps(body).encode() if body is not None else None)


def wait_finished(system: LiveSystem, location: str, headers: dict[str, str],
                  timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        resp = system.request("GET", location, headers=headers)
        assert resp.status == 200, resp.data
        body = resp.json()
        seen.append(body["status"])
        if body["status"] in ("CONFIRMED", "REJECTED", "FAILED"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"{location} not finished in {timeout_s} s: {seen[-5:]}\n"
                         f"{system.log_tail()}")


def test_posted_command_is_confirmed_and_its_location_says_so(live_system: LiveSystem):
    # `gx dev` bootstraps the embedded ledger at startup, so parameters can change right away.
    operator = bearer(str(uuid.uuid4()), "SUPER_ADMIN")
    headers = {**operator, "Idempotency-Key": f"e2e-param-{uuid.uuid4()}"}
    body = {"paramId": "votingPeriodDays", "newValue": "10"}
    accepted = post_command(live_system, "/api/v1/parameters", headers, body)
    assert accepted.status == 202, accepted.data
    command_id = accepted.json()["commandId"]
    location = accepted.headers["Location"]
    assert location == f"/api/v1/commands/{command_id}"

    status = wait_finished(live_system, location, operator)
    assert status["status"] == "CONFIRMED", status
    assert status["commandId"] == command_id and status["attempts"] == 1
    assert status["error"] is None
    assert len(status["result"]["txId"]) == 64 and status["result"]["blockNumber"] >= 1
    assert status["result"]["ids"]["paramKey"] == "votingPeriodDays"

    # The same request again is a replay of the first answer, not a second command.
    again = post_command(live_system, "/api/v1/parameters", headers, body)
    assert again.status == 202 and again.data == accepted.data
    assert again.headers["Idempotent-Replayed"] == "true"
    # Another user cannot see the command at all.
    assert live_system.request("GET", location, headers=bearer()).status == 404
