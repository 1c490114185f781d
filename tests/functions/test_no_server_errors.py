"""No input makes any operation answer 5xx: schemathesis generates requests from the served OpenAPI
document (NUL bytes and lone surrogates allowed, bounded examples) and sends each one to every
function through the dev gateway, as an anonymous caller, a user and an admin.

A 5xx is a server error only when the server broke: 503 with Retry-After (a dependency down, the
system paused) is an answer, and none is expected here since every dependency is up.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from knative.registry import FUNCTIONS
from shared.identity.service import create_account
from shared.runtime.gateway import Gateway
from tests.helpers import bearer

# The document as the gateway serves it (building it reads only the registry and the models).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", Gateway(FUNCTIONS).http_app)


def _account(role: str) -> dict[str, str]:
    row = create_account(email=f"fuzz-{role.lower()}-{uuid.uuid4().hex[:8]}@example.org",
                         password="Str0ngPassw0rd!", role=role, first_name="Fuzz",
                         last_name="Caller")
    return bearer(sub=str(row["profile_id"]), role=role)


@pytest.fixture(scope="module")
def callers() -> dict[str, dict[str, str]]:
    return {"anonymous": {}, "user": _account("USER"), "admin": _account("SUPER_ADMIN")}


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_input_is_a_server_error(case: Any, callers: dict[str, dict[str, str]]) -> None:
    # As generated, then with a NUL byte in every string it carries: business checks refuse most
    # generated requests early (unknown ids), so a NUL rarely reaches the database unless every
    # string carries one.
    for variant in ("as generated", "NUL in every string"):
        if variant != "as generated":
            _poison(case)
        for who, headers in callers.items():
            # Each caller sends the request with its own credentials (a generated Authorization
            # header, if any, is what the anonymous caller sends).
            sent = {**(case.headers or {}), **headers}
            print(f"{variant}, as {who}: {case.method} {case.formatted_path}")  # on failure
            response = case.call(headers=sent)
            case.validate_response(response, checks=[not_a_server_error], headers=sent)


def _poison(case: Any) -> None:
    case.body = _with_nul(case.body)
    if case.query:
        case.query = _with_nul(case.query)
    if case.path_parameters:
        case.path_parameters = _with_nul(case.path_parameters)


def _with_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value + "\x00"
    if isinstance(value, dict):
        return {k: _with_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_nul(v) for v in value]
    return value
