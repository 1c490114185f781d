"""GET /api/v1/openapi.json through functions-framework: a valid OpenAPI 3.1 document."""

from openapi_spec_validator import validate

from knative.registry import http_functions
from tests.helpers import client_for


def test_document_is_valid_openapi_31_listing_every_route() -> None:
    resp = client_for("get_openapi").get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)
    for spec in http_functions():
        assert spec.method.lower() in doc["paths"][spec.path], spec.name


def test_function_answers_only_its_own_route_and_method() -> None:
    client = client_for("get_openapi")
    assert client.get("/api/v1/nope").status_code == 404
    resp = client.post("/api/v1/openapi.json", json={})
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    assert client.get("/health").get_json() == {"status": "ok"}
