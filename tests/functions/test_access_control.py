"""Every route's access rule, enumerated from the registry, so no endpoint can ship unguarded.

Admin routes: 401 without a token, 403 with a USER token. Self-only routes: 403 (or 404) for a
USER asking about someone else. Runs each function through its functions-framework app.
"""

from __future__ import annotations

import uuid

import pytest

from knative.registry import http_functions
from tests.helpers import bearer, client_for

ADMIN_ONLY = [s for s in http_functions() if s.auth in ("admin", "super_admin")]
SELF_ONLY = [s for s in http_functions() if s.owner_param]
AUTHENTICATED = [s for s in http_functions() if s.auth != "public"]


def concrete(spec, **given: str) -> str:  # type: ignore[no-untyped-def]
    path = spec.path
    for name in spec.path_params:
        path = path.replace("{" + name + "}", given.get(name, str(uuid.uuid4())))
    return path


def call(spec, headers):  # type: ignore[no-untyped-def]
    client = client_for(spec.name)
    kwargs = {"headers": headers, "environ_base": {"REMOTE_ADDR": "10.250.0.1"}}
    if spec.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return getattr(client, spec.method.lower())(concrete(spec), **kwargs)


def test_there_are_guarded_routes_to_check() -> None:
    assert ADMIN_ONLY and SELF_ONLY


@pytest.mark.parametrize("spec", AUTHENTICATED, ids=lambda s: s.name)
def test_no_token_is_401(spec) -> None:  # type: ignore[no-untyped-def]
    resp = call(spec, {})
    assert resp.status_code == 401, resp.get_json()
    assert resp.mimetype == "application/problem+json"


@pytest.mark.parametrize("spec", ADMIN_ONLY, ids=lambda s: s.name)
def test_user_token_on_admin_route_is_403(spec) -> None:  # type: ignore[no-untyped-def]
    resp = call(spec, bearer(role="USER"))
    assert resp.status_code == 403, resp.get_json()
    if spec.auth == "super_admin":  # an ADMIN is not enough either
        assert call(spec, bearer(role="ADMIN")).status_code == 403


@pytest.mark.parametrize("spec", SELF_ONLY, ids=lambda s: s.name)
def test_self_only_route_refuses_another_user(spec) -> None:  # type: ignore[no-untyped-def]
    resp = call(spec, bearer(sub=str(uuid.uuid4()), role="USER"))
    assert resp.status_code in (403, 404), resp.get_json()
