"""Manifests under test: the committed knative/generated/ and knative/base/ files, and a render
of a synthetic registry that exercises every path of the renderer before the real functions
exist (HTTP with path parameters and literal/parameter overlaps, a route group beyond one
HTTPRoute's 16 rules, a CloudEvent handler of two types, a scheduled function, a token issuer).
The synthetic specs are passed to the renderer; nothing is added to the real registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from knative import render
from knative.spec import FunctionSpec

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "knative" / "base"


def _http(name: str, method: str, path: str, service: str = "widgets", **kw: Any) -> FunctionSpec:
    return FunctionSpec(
        name=name, service=service, kind="http", summary=name, method=method, path=path, **kw
    )


SYNTHETIC: tuple[FunctionSpec, ...] = (
    _http("list_widgets", "GET", "/api/v1/widgets"),
    _http("get_widget", "GET", "/api/v1/widgets/{widget_id}", auth="user", owner_param=None),
    _http("get_widget_stats", "GET", "/api/v1/widgets/stats"),
    _http("update_widget", "PATCH", "/api/v1/widgets/{widget_id}", auth="user"),
    _http("get_widget_part", "GET", "/api/v1/widgets/{widget_id}/parts/{part_id}"),
    _http("get_pending_part", "GET", "/api/v1/widgets/pending/parts/{part_id}"),
    _http("get_stale_part", "GET", "/api/v1/widgets/{widget_id}/parts/stale"),
    _http("get_user_widgets", "GET", "/api/v1/users/{user_id}/widgets", auth="user"),
    _http("get_user", "GET", "/api/v1/users/{user_id}", service="accounts", auth="user"),
    _http("get_me", "GET", "/api/v1/users/me", service="accounts", auth="user"),
    _http("get_member", "GET", "/api/v1/users/members", service="accounts"),
    _http(
        "log_in", "POST", "/api/v1/auth/login", service="accounts", issues_tokens=True,
        scale={"min": 1, "max": 20, "concurrency": 32}, timeout_s=10,
    ),
    *(
        _http(f"bulk_{i:02d}", "POST", f"/api/v1/bulk/items{i:02d}/{{item_id}}", service="bulk")
        for i in range(20)
    ),
    FunctionSpec(
        name="project_widget_changed",
        service="projector",
        kind="cloudevent",
        summary="projects widget events",
        event_types=("org.gxcoin.chain.widget_created.v1", "org.gxcoin.chain.widget_deleted.v1"),
        delivery={"retry": 8, "backoff_delay_s": 1},
        scale={"concurrency": 1},
    ),
    FunctionSpec(
        name="sweep_widgets",
        service="outbox",
        kind="cloudevent",
        summary="claims whatever is due",
        schedule="* * * * *",
    ),
)  # fmt: skip


def load_docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def objects_of(files: dict[str, str]) -> list[dict[str, Any]]:
    return [o for name, text in files.items() if name.endswith(".yaml") for o in load_docs(text)]


@pytest.fixture(scope="session")
def synthetic_files() -> dict[str, str]:
    return render.render(SYNTHETIC, image="registry.example/gx-functions:test")


@pytest.fixture(scope="session")
def synthetic_objects(synthetic_files: dict[str, str]) -> list[dict[str, Any]]:
    return objects_of(synthetic_files)


@pytest.fixture(scope="session")
def generated_objects() -> list[dict[str, Any]]:
    """What is committed in knative/generated/ (the drift test proves it equals a fresh render)."""
    return [o for p in sorted(render.GENERATED.glob("*.yaml")) for o in load_docs(p.read_text())]


def base_files() -> list[Path]:
    return sorted(BASE.glob("*.yaml"))


@pytest.fixture(scope="session")
def base_objects() -> list[dict[str, Any]]:
    return [o for p in base_files() for o in load_docs(p.read_text())]
