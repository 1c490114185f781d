"""Idempotency key parsing and the request fingerprint."""

from __future__ import annotations

import flask
import pytest

from shared.errors import BadRequest
from shared.idempotency import key_from, request_hash

app = flask.Flask(__name__)


def _key(headers: dict[str, str]) -> str | None:
    with app.test_request_context("/x", method="POST", headers=headers):
        return key_from(flask.request)


def _hash(path: str, data: bytes, method: str = "POST") -> str:
    with app.test_request_context(path, method=method, data=data, content_type="application/json"):
        return request_hash(flask.request)


def test_both_header_names_are_accepted() -> None:
    assert _key({"Idempotency-Key": "a" * 16}) == "a" * 16
    assert _key({"X-Idempotency-Key": "b" * 20}) == "b" * 20
    assert _key({}) is None


@pytest.mark.parametrize("bad", ["short", "x" * 129, "has space in it ok?", "tab\tinside-key-123"])
def test_malformed_keys_are_400(bad: str) -> None:
    with pytest.raises(BadRequest) as info:
        _key({"Idempotency-Key": bad})
    assert info.value.code == "INVALID_IDEMPOTENCY_KEY"


def test_hash_ignores_json_formatting_but_not_content() -> None:
    a = _hash("/api/v1/x", b'{"a": 1, "b": 2}')
    assert a == _hash("/api/v1/x", b'{"b":2,"a":1}')
    assert a != _hash("/api/v1/x", b'{"a": 1, "b": 3}')
    assert a != _hash("/api/v1/y", b'{"a": 1, "b": 2}')
    assert a != _hash("/api/v1/x", b'{"a": 1, "b": 2}', method="PUT")
