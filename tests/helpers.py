"""Small helpers shared by tests: tokens, function test clients."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from functions_framework import create_app

from shared import auth


def token(sub: str | None = None, role: str = "USER", typ: str = "access", **kw: Any) -> str:
    value, _ = auth.issue(sub=sub or str(uuid.uuid4()), role=role, typ=typ, **kw)  # type: ignore[arg-type]
    return value


def bearer(sub: str | None = None, role: str = "USER") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, role)}"}


@functools.cache
def app_for(name: str) -> Any:
    """The functions-framework app of a registered function, as Knative would run it."""
    from knative.registry import get_spec

    spec = get_spec(name)
    return create_app(spec.name, spec.source, "http" if spec.kind == "http" else "cloudevent")


def client_for(name: str) -> Any:
    return app_for(name).test_client()
