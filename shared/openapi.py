"""The OpenAPI 3.1 document, generated from the registry and the pydantic models it names.

Built once per process. Every HTTP function in the registry appears with its method, path
parameters, security, request body, success reply and the problem+json error replies it can give.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared import idempotency

_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "stable machine-readable error code"},
        "requestId": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def _err(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


@functools.cache
def document() -> dict[str, Any]:
    from knative.registry import http_functions
    from knative.spec import resolve

    specs = [s for s in http_functions()]
    models: dict[str, type[BaseModel]] = {}
    for s in specs:
        for ref in (s.request_model, s.response_model, s.query_model):
            if ref:
                cls = resolve(ref)
                models[cls.__name__] = cls
    _, defs = models_json_schema(
        [(m, "validation") for m in models.values()],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Problem"] = _PROBLEM

    paths: dict[str, dict[str, Any]] = {}
    for s in sorted(specs, key=lambda s: (s.path or "", s.method or "")):
        op: dict[str, Any] = {
            "operationId": s.name,
            "summary": s.summary,
            "tags": list(s.tags or (s.service,)),
            "responses": {},
        }
        params: list[dict[str, Any]] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in s.path_params
        ]
        if s.query_model:
            qschema = resolve(s.query_model).model_json_schema()
            for pname, pschema in qschema.get("properties", {}).items():
                params.append(
                    {
                        "name": pname,
                        "in": "query",
                        "required": pname in qschema.get("required", []),
                        "schema": pschema,
                    }
                )
        if s.command:
            params.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "Same key and body within 24 h replays the first response.",
                    "schema": {"type": "string", "minLength": idempotency.KEY_MIN,
                               "maxLength": idempotency.KEY_MAX, "pattern": "^[!-~]+$"},
                }
            )
        if params:
            op["parameters"] = params
        if s.request_model:
            name = resolve(s.request_model).__name__
            op["requestBody"] = {
                "required": True,
                "content": {ct: {"schema": {"$ref": f"#/components/schemas/{name}"}}
                            for ct in s.content_types},
            }
        ok: dict[str, Any] = {"description": "Success"}
        if s.response_model:
            name = resolve(s.response_model).__name__
            ok["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
        op["responses"][str(s.response_status)] = ok
        if s.request_model or s.query_model:
            op["responses"]["400"] = _err("Malformed request")
            op["responses"]["422"] = _err("Validation failed")
        if s.auth != "public":
            op["security"] = [{"bearer": []}]
            op["responses"]["401"] = _err("Missing or invalid access token")
            op["responses"]["403"] = _err("Not allowed for this caller")
        if s.rate_limit:
            op["responses"]["429"] = _err("Rate limit exceeded")
        if s.command:
            op["responses"]["409"] = _err("Same Idempotency-Key still in progress")
        paths.setdefault(s.path or "/", {})[(s.method or "get").lower()] = op

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "GX Protocol API",
            "version": "1.0.0",
            "description": "GX Coin backend. Amounts are integer Qirat (1 GX = 1,000,000 Qirat), "
            "sent as strings of digits.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
