"""HTTPRoute coverage and collisions, for the real registry and for the synthetic one.

Every rule points at a Service that exists; every HTTP function is reachable through exactly one
rule; and no request (method + path) is matched by two rules, checked over sample paths built
from every spec, including the adversarial ones where a parameter takes another route's literal.
The segment regexes are RE2-style complements; hypothesis checks them against their definition.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knative import render
from knative.spec import FunctionSpec
from tests.contract.conftest import SYNTHETIC, objects_of

Rule = tuple[str, str, dict[str, str]]  # (service name, method, path match)


def _rules(objects: list[dict[str, Any]]) -> list[Rule]:
    out = []
    for route in (o for o in objects if o["kind"] == "HTTPRoute"):
        for rule in route["spec"]["rules"]:
            (backend,) = rule["backendRefs"]
            for match in rule["matches"]:
                out.append((backend["name"], match["method"], match["path"]))
    return out


def _matches(path_match: dict[str, str], path: str) -> bool:
    if path_match["type"] == "Exact":
        return path == path_match["value"]
    assert path_match["type"] == "RegularExpression"
    return re.fullmatch(path_match["value"], path) is not None


def _fill(spec: FunctionSpec, values: Sequence[str]) -> str:
    it = iter(values)
    return "/" + "/".join(
        next(it) if render.is_param(s) else s for s in render.segments(spec.path or "/")
    )


_GENERIC = ("zz-9f3c", "0", "x.y", "550e8400-e29b-41d4-a716-446655440000")


def _samples(specs: Sequence[FunctionSpec]) -> list[tuple[FunctionSpec, str, bool]]:
    """(spec, path, generic): generic samples use values no route spells as a literal;
    adversarial ones put every literal of the same depth into each parameter."""
    literals: dict[int, set[str]] = {}
    for s in specs:
        for i, seg in enumerate(render.segments(s.path or "/")):
            if not render.is_param(seg):
                literals.setdefault(i, set()).add(seg)
    out = []
    for s in specs:
        segs = render.segments(s.path or "/")
        params = [i for i, seg in enumerate(segs) if render.is_param(seg)]
        spelt = set().union(*literals.values()) if literals else set()
        for generic in (g for g in _GENERIC if g not in spelt):
            out.append((s, _fill(s, [generic] * len(params)), True))
        for i in params:
            for lit in sorted(literals.get(i, ())):
                values = [lit if j == i else "zz-9f3c" for j in params]
                out.append((s, _fill(s, values), False))
    return out


def _check(specs: Sequence[FunctionSpec], objects: list[dict[str, Any]]) -> None:
    http = [s for s in specs if s.kind == "http"]
    services = {o["metadata"]["name"] for o in objects if o["kind"] == "Service"}
    rules = _rules(objects)
    # Every rule points at an existing Service; each HTTP function has exactly one rule.
    assert {name for name, _, _ in rules} <= services
    assert sorted(name for name, _, _ in rules) == sorted(s.service_name for s in http)
    literal_paths = {(s.method, s.path) for s in http if not s.path_params}
    for spec, path, generic in _samples(http):
        hits = [name for name, method, pm in rules if method == spec.method and _matches(pm, path)]
        assert len(hits) <= 1, f"{spec.method} {path} is matched by {hits}"
        if generic:
            assert hits == [spec.service_name], f"{spec.method} {path} -> {hits}"
        elif (spec.method, path) in literal_paths:
            owner = next(s for s in http if (s.method, s.path) == (spec.method, path))
            assert hits == [owner.service_name], f"{path} belongs to {owner.name}, got {hits}"
        # The dev server's own matcher agrees that this spec owns its generic samples.
        if generic:
            assert spec.match(path) is not None


def test_registry_routing_is_complete_and_unambiguous(
    generated_objects: list[dict[str, Any]],
) -> None:
    from knative.registry import FUNCTIONS

    _check(FUNCTIONS, generated_objects)


def test_synthetic_routing_is_complete_and_unambiguous(
    synthetic_objects: list[dict[str, Any]],
) -> None:
    _check(SYNTHETIC, synthetic_objects)


def test_overlapping_paths_are_made_disjoint(synthetic_objects: list[dict[str, Any]]) -> None:
    rules = {name: (method, pm) for name, method, pm in _rules(synthetic_objects)}
    method, user = rules["get-user"]
    assert user["type"] == "RegularExpression"
    for path, expected in (
        ("/api/v1/users/me", False), ("/api/v1/users/members", False),
        ("/api/v1/users/mem", True), ("/api/v1/users/m", True), ("/api/v1/users/meme", True),
        ("/api/v1/users/membersx", True), ("/api/v1/users/x/y", False),
    ):  # fmt: skip
        assert _matches(user, path) is expected, path
    assert rules["get-me"][1] == {"type": "Exact", "value": "/api/v1/users/me"}
    # /widgets/pending/parts/stale: the literal-first route wins at the first differing segment.
    hits = [
        n
        for n, (m, pm) in rules.items()
        if m == "GET" and _matches(pm, "/api/v1/widgets/pending/parts/stale")
    ]
    assert hits == ["get-pending-part"]


def test_large_service_groups_split_into_routes_of_16(synthetic_files: dict[str, str]) -> None:
    routes = [o for o in objects_of(synthetic_files) if o["kind"] == "HTTPRoute"]
    bulk = sorted((r for r in routes if r["metadata"]["labels"]["gxcoin.org/service"] == "bulk"),
                  key=lambda r: r["metadata"]["name"])  # fmt: skip
    # POST endpoints: command routes (gx-cmd-*), which a read region drops as a whole.
    assert [r["metadata"]["name"] for r in bulk] == ["gx-cmd-bulk", "gx-cmd-bulk-2"]
    assert [len(r["spec"]["rules"]) for r in bulk] == [16, 4]
    assert {r["metadata"]["labels"]["gxcoin.org/role"] for r in bulk} == {"command"}


def test_queries_and_commands_are_routed_separately(synthetic_files: dict[str, str]) -> None:
    routes = [o for o in objects_of(synthetic_files) if o["kind"] == "HTTPRoute"]
    for route in routes:
        methods = {m["method"] for rule in route["spec"]["rules"] for m in rule["matches"]}
        role = route["metadata"]["labels"]["gxcoin.org/role"]
        if role == "query":  # replica reads are GETs; a command route may hold primary GETs
            assert methods == {"GET"}, route["metadata"]["name"]
        else:
            assert role == "command" and methods, route["metadata"]["name"]


def test_ambiguous_routes_are_refused() -> None:
    a = FunctionSpec(
        name="get_a", service="admin", kind="http", summary="a", method="GET", path="/x/{a}"
    )
    b = FunctionSpec(
        name="get_b", service="admin", kind="http", summary="b", method="GET", path="/x/{b}"
    )
    with pytest.raises(render.RenderError, match="ambiguous"):
        render.render([a, b], image="x")
    c = FunctionSpec(
        name="put_b", service="admin", kind="http", summary="b", method="PUT", path="/x/{b}"
    )
    render.render([a, c], image="x")  # another method is another route


_SEGMENT = st.text(alphabet="abem-rs._0", min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    excluded=st.sets(_SEGMENT, max_size=5), candidate=st.text(alphabet="abem-rs._0/", max_size=9)
)
def test_segment_regex_is_the_complement_of_its_exclusions(
    excluded: set[str], candidate: str
) -> None:
    pattern = render.segment_regex(excluded)
    expected = bool(candidate) and "/" not in candidate and candidate not in excluded
    assert (re.fullmatch(pattern, candidate) is not None) is expected


@settings(max_examples=100, deadline=None)
@given(excluded=st.sets(_SEGMENT, min_size=1, max_size=5))
def test_segment_regex_needs_no_lookaround(excluded: set[str]) -> None:
    pattern = render.segment_regex(excluded)
    assert "(?=" not in pattern and "(?!" not in pattern and "(?<" not in pattern  # RE2 has none


_SEGMENTS = st.sampled_from(["a", "ab", "b", "a.b", "{p}", "{q}"])


@settings(max_examples=60, deadline=None)
@given(
    routes=st.lists(
        st.tuples(st.sampled_from(["GET", "POST"]), st.lists(_SEGMENTS, min_size=1, max_size=4)),
        min_size=1,
        max_size=8,
    )
)
def test_any_registry_routes_without_collisions(routes: list[tuple[str, list[str]]]) -> None:
    """Random registries: the renderer either refuses a truly ambiguous pair or produces rules
    that cover every function exactly once and never overlap."""
    specs = [
        FunctionSpec(
            name=f"f{i}",
            service="svc",
            kind="http",
            summary="s",
            method=method,
            # parameter names are unique within a path, as in any real route
            path="/"
            + "/".join(f"{{p{j}}}" if render.is_param(s) else s for j, s in enumerate(segs)),
        )
        for i, (method, segs) in enumerate(routes)
    ]
    shapes = [(m, tuple("{}" if render.is_param(s) else s for s in segs)) for m, segs in routes]
    if len(set(shapes)) != len(shapes):
        with pytest.raises(render.RenderError, match="ambiguous"):
            render.render(specs, image="i")
        return
    _check(specs, objects_of(render.render(specs, image="i")))
