"""The endpoint pipeline: every failure is problem+json with the right status, nothing else runs."""

from __future__ import annotations

import json

import flask
import pytest
from pydantic import BaseModel, Field

from knative.spec import FunctionSpec, RateLimitSpec
from shared.http import Call, handle
from tests.helpers import bearer, token


class EchoIn(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    amount: int = Field(gt=0)


calls: list[Call] = []


def echo(call: Call):  # type: ignore[no-untyped-def]
    calls.append(call)
    return {"name": call.body.name, "who": call.principal.sub if call.principal else None}, 201


SPEC = FunctionSpec(
    name="echo_thing",
    service="admin",
    kind="http",
    summary="test",
    method="POST",
    path="/api/v1/things/{id}/echo",
    request_model="tests.unit.shared.test_http:EchoIn",
    response_status=201,
)
app = flask.Flask(__name__)


def run(spec: FunctionSpec, path: str, method: str = "POST", **kw):  # type: ignore[no-untyped-def]
    calls.clear()
    with app.test_request_context(path, method=method, **kw):
        return handle(spec, echo, flask.request)


def problem(resp):  # type: ignore[no-untyped-def]
    assert resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
    return json.loads(resp.get_data())


def test_success_echoes_and_hardens() -> None:
    resp = run(SPEC, "/api/v1/things/7/echo", json={"name": "ann", "amount": 5})
    assert resp.status_code == 201
    assert json.loads(resp.get_data()) == {"name": "ann", "who": None}
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" in resp.headers
    assert resp.headers["X-Request-Id"]
    assert calls[0].params == {"id": "7"}


def test_unknown_route_is_404() -> None:
    body = problem(run(SPEC, "/api/v1/nothing", json={}))
    assert body["status"] == 404 and body["code"] == "ROUTE_NOT_FOUND"
    assert not calls


def test_wrong_method_is_405_with_allow() -> None:
    resp = run(SPEC, "/api/v1/things/7/echo", method="GET")
    assert resp.status_code == 405
    assert "POST" in resp.headers["Allow"]
    assert problem(resp)["code"] == "METHOD_NOT_ALLOWED"
    assert not calls


def test_non_json_is_415() -> None:
    resp = run(SPEC, "/api/v1/things/7/echo", data="name=x", content_type="text/plain")
    assert resp.status_code == 415 and problem(resp)["status"] == 415
    assert not calls


def test_malformed_json_is_400() -> None:
    resp = run(SPEC, "/api/v1/things/7/echo", data="{not json", content_type="application/json")
    assert resp.status_code == 400 and problem(resp)["code"] == "MALFORMED_JSON"
    assert not calls


def test_schema_violation_is_422_with_field_paths() -> None:
    resp = run(SPEC, "/api/v1/things/7/echo", json={"name": "", "amount": -1})
    body = problem(resp)
    assert resp.status_code == 422
    assert {e["field"] for e in body["errors"]} == {"name", "amount"}
    assert not calls


def test_body_over_cap_is_413() -> None:
    spec = SPEC.model_copy(update={"max_body_bytes": 1024})
    resp = run(spec, "/api/v1/things/7/echo", data="x" * 5000, content_type="application/json")
    assert resp.status_code == 413 and problem(resp)["code"] == "PAYLOAD_TOO_LARGE"


def test_unexpected_error_is_generic_500() -> None:
    def boom(call: Call):  # type: ignore[no-untyped-def]
        raise RuntimeError("SELECT secret FROM users")

    with app.test_request_context("/api/v1/things/1/echo", method="POST", json={"name": "a", "amount": 1}):
        resp = handle(SPEC, boom, flask.request)
    body = problem(resp)
    assert resp.status_code == 500
    assert "secret" not in resp.get_data(as_text=True) and body["requestId"]


@pytest.mark.parametrize("role,status", [(None, 401), ("USER", 403), ("ADMIN", 201)])
def test_roles_come_from_the_spec(role: str | None, status: int) -> None:
    spec = SPEC.model_copy(update={"auth": "admin"})
    headers = bearer(role=role) if role else {}
    resp = run(spec, "/api/v1/things/7/echo", json={"name": "a", "amount": 1}, headers=headers)
    assert resp.status_code == status
    if status == 201:
        assert resp.headers["Cache-Control"] == "no-store"


ME, YOU = "0b4f3c1e-8f0a-4b53-9d5e-2f6f1f0c9a11", "5d0e9a7c-1b2d-4e3f-8a9b-0c1d2e3f4a5b"


def test_owner_param_allows_self_and_admins_only() -> None:
    spec = SPEC.model_copy(update={"auth": "user", "owner_param": "id"})
    body = {"name": "a", "amount": 1}
    ok = run(spec, f"/api/v1/things/{ME}/echo", json=body, headers=bearer(ME))
    other = run(spec, f"/api/v1/things/{YOU}/echo", json=body, headers=bearer(ME))
    admin = run(spec, f"/api/v1/things/{YOU}/echo", json=body, headers=bearer("x", "ADMIN"))
    assert (ok.status_code, other.status_code, admin.status_code) == (201, 403, 201)


@pytest.mark.parametrize("spelling", ["urn:uuid:{}", "{{{}}}", "{{{}", "{}"])
def test_owner_param_is_canonicalised_before_anything_reads_it(spelling: str) -> None:
    spec = SPEC.model_copy(update={"auth": "user", "owner_param": "id"})
    resp = run(spec, f"/api/v1/things/{spelling.format(ME.upper())}/echo",
               json={"name": "a", "amount": 1}, headers=bearer(ME))
    assert resp.status_code == 201
    assert calls[-1].params["id"] == ME


@pytest.mark.parametrize("raw", ["not-a-uuid", "%00", "x%00y", ME + "0"])
def test_an_id_that_names_nothing_is_a_404(raw: str) -> None:
    spec = SPEC.model_copy(update={"auth": "user", "owner_param": "id"})
    resp = run(spec, f"/api/v1/things/{raw}/echo", json={"name": "a", "amount": 1},
               headers=bearer("x", "ADMIN"))
    assert resp.status_code == 404 and problem(resp)["code"] == "USER_NOT_FOUND"
    assert not calls


@pytest.mark.parametrize("text", [r"a\u0000b", r"\ud800", r"x\udfffy"])
def test_unstorable_strings_are_refused_wherever_they_are(text: str) -> None:
    raw = f'{{"name": "{text}", "amount": 1}}'
    resp = run(SPEC, "/api/v1/things/7/echo", data=raw, content_type="application/json")
    assert resp.status_code == 422 and problem(resp)["errors"][0]["field"] == "name"
    nested = f'{{"name": "a", "amount": 1, "x": [{{"{text}": 1}}]}}'
    resp = run(SPEC, "/api/v1/things/7/echo", data=nested, content_type="application/json")
    assert resp.status_code == 422
    resp = run(SPEC, "/api/v1/things/7/echo?q=a%00b", json={"name": "a", "amount": 1})
    assert resp.status_code == 400 and problem(resp)["code"] == "INVALID_CHARACTERS"
    assert not calls


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_deep_json_is_a_400_not_a_crash(depth: int) -> None:
    raw = "[" * depth + "]" * depth
    resp = run(SPEC, "/api/v1/things/7/echo", data=raw, content_type="application/json")
    assert resp.status_code == 400 and problem(resp)["code"] == "JSON_TOO_DEEP"
    assert not calls


def test_refresh_token_is_not_an_access_token() -> None:
    spec = SPEC.model_copy(update={"auth": "user"})
    headers = {"Authorization": f"Bearer {token(typ='refresh')}"}
    resp = run(spec, "/api/v1/things/7/echo", json={"name": "a", "amount": 1}, headers=headers)
    assert resp.status_code == 401


def test_rate_limit_answers_429_with_retry_after() -> None:
    spec = SPEC.model_copy(
        update={"rate_limit": RateLimitSpec(name="echo-test", limit=2, window_s=60)}
    )
    env = {"REMOTE_ADDR": "10.9.8.7"}
    statuses = [
        run(spec, "/api/v1/things/7/echo", json={"name": "a", "amount": 1}, environ_base=env)
        for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert statuses[0].headers["RateLimit-Remaining"] == "1"
    assert int(statuses[2].headers["Retry-After"]) >= 1


def test_reply_models_inside_a_plain_reply_are_rendered_for_the_callers_audiences() -> None:
    from shared.http import dumps
    from shared.organization.schemas import OrgBalance, Organization

    org = Organization(org_id="ORG_x", org_name="X", account_type="BUSINESS", status=None,
                       balance="5", stakeholders=["a"])
    public = json.loads(dumps({"items": [org], "one": org}))
    assert "balance" not in public["items"][0] and "stakeholders" not in public["one"]
    staff = json.loads(dumps({"items": [org]}, frozenset({"public", "staff"})))
    assert staff["items"][0]["balance"] == "5"
    assert json.loads(dumps({"b": OrgBalance(org_id="x", balance="1", is_frozen=False,
                                             updated_at=None)}))["b"]["balance"] == "1"
