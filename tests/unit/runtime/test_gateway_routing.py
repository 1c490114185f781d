"""Gateway route selection: method + path against the registry, literal segments first."""

from __future__ import annotations

from knative.spec import FunctionSpec
from shared.runtime.gateway import Gateway


def _http(name: str, method: str, path: str) -> FunctionSpec:
    return FunctionSpec(name=name, service="identity", kind="http", summary=name,
                        method=method, path=path)


GATEWAY = Gateway([
    _http("get_user", "GET", "/api/v1/users/{id}"),
    _http("get_me", "GET", "/api/v1/users/me"),
    _http("update_user", "PATCH", "/api/v1/users/{id}"),
    _http("list_users", "GET", "/api/v1/users"),
    _http("create_user", "POST", "/api/v1/users"),
])


def test_literal_route_wins_over_a_parameter():
    spec, _ = GATEWAY.route("GET", "/api/v1/users/me")
    assert spec.name == "get_me"
    spec, _ = GATEWAY.route("GET", "/api/v1/users/42")
    assert spec.name == "get_user"


def test_method_selects_among_functions_on_one_path():
    assert GATEWAY.route("POST", "/api/v1/users")[0].name == "create_user"
    assert GATEWAY.route("GET", "/api/v1/users/")[0].name == "list_users"
    assert GATEWAY.route("PATCH", "/api/v1/users/42")[0].name == "update_user"


def test_unknown_method_reports_every_method_of_the_path():
    spec, allowed = GATEWAY.route("DELETE", "/api/v1/users/42")
    assert spec is None and sorted(allowed) == ["GET", "PATCH"]
    spec, allowed = GATEWAY.route("DELETE", "/api/v1/users/me")
    assert spec is None and sorted(allowed) == ["GET", "PATCH"]


def test_unknown_path_has_no_methods():
    assert GATEWAY.route("GET", "/api/v1/nothing") == (None, [])
    assert GATEWAY.route("GET", "/api/v1/users/1/2") == (None, [])


def test_options_goes_to_a_function_of_the_path_for_cors_preflight():
    spec, _ = GATEWAY.route("OPTIONS", "/api/v1/users")
    assert spec is not None and spec.path == "/api/v1/users"
