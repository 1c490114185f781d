"""Every manifest validates offline against its upstream schema, with unknown fields rejected.

Custom resources are checked against the CRDs in knative/crds/ (vendored upstream CRDs) and core kinds against
the strict core schemas of tests/contract/k8s_schemas.py (see its docstring for what is derived
from where). Fields the CRDs leave to CEL rules or mark optional although Knative needs them (a
Trigger's broker and subscriber, a source's sink) are checked explicitly here.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from knative import render
from shared.config import Settings
from tests.contract import k8s_schemas
from tests.contract.conftest import BASE, ROOT, base_files, load_docs

_CUSTOM_KINDS = {
    "Service", "Trigger", "PingSource", "HTTPRoute", "Broker", "ContainerSource",
}  # fmt: skip


def _ident(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def _assert_valid(objects: list[dict[str, Any]]) -> None:
    problems = {_ident(o): k8s_schemas.errors(o) for o in objects}
    assert {k: v for k, v in problems.items() if v} == {}


def test_generated_objects_validate(generated_objects: list[dict[str, Any]]) -> None:
    assert generated_objects, "knative/generated/ is empty: run `gx knative render`"
    _assert_valid(generated_objects)


def test_synthetic_render_validates(synthetic_objects: list[dict[str, Any]]) -> None:
    kinds = {o["kind"] for o in synthetic_objects}
    assert kinds == {"Service", "Trigger", "PingSource", "HTTPRoute"}
    _assert_valid(synthetic_objects)


def test_base_objects_validate(base_objects: list[dict[str, Any]]) -> None:
    kinds = {o["kind"] for o in base_objects}
    assert {
        "Namespace",
        "ConfigMap",
        "Broker",
        "Service",
        "ContainerSource",
        "Job",
    } <= kinds
    _assert_valid(base_objects)


def test_base_files_are_numbered_in_apply_order() -> None:
    names = [p.name for p in base_files()]
    assert names and all(re.match(r"^\d{3}-[a-z0-9-]+\.yaml$", n) for n in names)
    first = load_docs(base_files()[0].read_text())[0]
    assert first["kind"] == "Namespace"  # everything else is namespaced into it


_CONTAINER = ("spec", "template", "spec", "containers", 0)


def _mutations(obj: dict[str, Any]) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Copies of `obj`, each with one misspelt field at a place where a typo would hurt."""
    spots: list[tuple[Any, ...]] = [(), ("metadata",)]
    if "spec" in obj:
        spots.append(("spec",))
    if obj["kind"] == "Service" and obj["apiVersion"].startswith("serving"):
        spots += [
            ("spec", "template", "metadata"),
            _CONTAINER,
            (*_CONTAINER, "readinessProbe"),
            (*_CONTAINER, "securityContext"),
        ]
    if obj["kind"] == "Trigger":
        spots += [("spec", "delivery"), ("spec", "subscriber"), ("spec", "subscriber", "ref")]
    if obj["kind"] == "HTTPRoute":
        spots += [
            ("spec", "rules", 0),
            ("spec", "rules", 0, "matches", 0),
            ("spec", "rules", 0, "backendRefs", 0),
        ]
    if obj["kind"] in {"Job", "ContainerSource"}:
        spots.append(_CONTAINER)
    out = []
    for path in spots:
        mutated = copy.deepcopy(obj)
        node = mutated
        for key in path:
            node = node[key]
        assert isinstance(node, dict), path
        node["misspeltField"] = "x"
        out.append((path, mutated))
    return out


def test_unknown_fields_are_rejected_everywhere(
    synthetic_objects: list[dict[str, Any]], base_objects: list[dict[str, Any]]
) -> None:
    seen_kinds = set()
    for obj in synthetic_objects + base_objects:
        seen_kinds.add(obj["kind"])
        for path, mutated in _mutations(obj):
            where = "/".join(str(p) for p in path) or "(root)"
            assert any(
                e.startswith(f"{where}: ") and "misspeltField" in e
                for e in k8s_schemas.errors(mutated)
            ), f"{_ident(obj)}: a misspelt field at {where} was accepted"
    assert _CUSTOM_KINDS <= seen_kinds


def test_wrong_types_and_enums_are_rejected(synthetic_objects: list[dict[str, Any]]) -> None:
    route = next(o for o in synthetic_objects if o["kind"] == "HTTPRoute")
    bad = copy.deepcopy(route)
    bad["spec"]["rules"][0]["matches"][0]["path"]["type"] = "Template"
    assert k8s_schemas.errors(bad)
    service = next(o for o in synthetic_objects if o["kind"] == "Service")
    bad = copy.deepcopy(service)
    bad["spec"]["template"]["spec"]["containerConcurrency"] = "16"
    assert k8s_schemas.errors(bad)
    bad = copy.deepcopy(service)
    bad["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] = "lots"
    assert k8s_schemas.errors(bad)


# --- fields the CRD schemas leave optional or to CEL -------------------------------------------


def _all(
    generated: list[dict[str, Any]], synthetic: list[dict[str, Any]], base: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return generated + synthetic + base


def test_triggers_name_a_broker_and_a_subscriber(
    generated_objects: list[dict[str, Any]],
    synthetic_objects: list[dict[str, Any]],
    base_objects: list[dict[str, Any]],
) -> None:
    objects = _all(generated_objects, synthetic_objects, base_objects)
    brokers = {o["metadata"]["name"] for o in base_objects if o["kind"] == "Broker"}
    for t in (o for o in objects if o["kind"] == "Trigger"):
        spec = t["spec"]
        assert spec.get("broker") in brokers, _ident(t)
        assert spec["subscriber"]["ref"]["kind"] == "Service", _ident(t)
        assert spec["subscriber"]["ref"]["name"], _ident(t)
        assert spec["filter"]["attributes"]["type"], _ident(t)
        delivery = spec["delivery"]
        assert delivery["backoffPolicy"] == "exponential"
        assert re.fullmatch(r"PT\d+(\.\d+)?S", delivery["backoffDelay"])
        assert delivery["retry"] >= 1
        assert delivery["deadLetterSink"]["ref"]["name"] == render.DEAD_LETTER_SERVICE


def test_sources_have_a_sink(
    generated_objects: list[dict[str, Any]],
    synthetic_objects: list[dict[str, Any]],
    base_objects: list[dict[str, Any]],
) -> None:
    sources = [
        o for o in _all(generated_objects, synthetic_objects, base_objects)
        if o["kind"] in {"PingSource", "ContainerSource"}
    ]  # fmt: skip
    assert any(s["kind"] == "ContainerSource" for s in sources)
    for s in sources:
        ref = s["spec"]["sink"]["ref"]
        assert ref["name"] and ref["kind"] in {"Service", "Broker"}, _ident(s)
    for ping in (s for s in sources if s["kind"] == "PingSource"):
        assert len(ping["spec"]["schedule"].split()) == 5, _ident(ping)
    listener = next(s for s in sources if s["kind"] == "ContainerSource")
    assert listener["spec"]["sink"]["ref"] == {
        "apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": render.BROKER,
    }  # fmt: skip


_VALID_PATH = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$")


def test_httproute_cel_rules(
    generated_objects: list[dict[str, Any]], synthetic_objects: list[dict[str, Any]]
) -> None:
    """The HTTPRoute CRD's CEL rules that concern what we set, re-stated in Python."""
    routes = [o for o in generated_objects + synthetic_objects if o["kind"] == "HTTPRoute"]
    assert len({r["metadata"]["name"] for r in routes}) == len(routes)
    for route in routes:
        rules = route["spec"]["rules"]
        assert 1 <= len(rules) <= 16
        assert sum(len(r["matches"]) for r in rules) <= 128
        assert len({r["name"] for r in rules}) == len(rules)
        for rule in rules:
            for match in rule["matches"]:
                path = match["path"]
                if path["type"] in {"Exact", "PathPrefix"}:
                    value = path["value"]
                    assert value.startswith("/") and "//" not in value and "/./" not in value
                    assert "/../" not in value and "#" not in value and "%2f" not in value.lower()
                    assert _VALID_PATH.match(value), value
                else:
                    re.compile(path["value"])
            for f in rule["filters"]:
                assert f["type"] == "URLRewrite" and set(f) == {"type", "urlRewrite"}
            assert re.fullmatch(r"([0-9]{1,5}(h|m|s|ms)){1,4}", rule["timeouts"]["request"])


# --- services, secrets, config ------------------------------------------------------------------


def _env(service: dict[str, Any]) -> dict[str, Any]:
    container = service["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e for e in container.get("env", [])}


def _secret_refs(service: dict[str, Any]) -> set[str]:
    container = service["spec"]["template"]["spec"]["containers"][0]
    names = {s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s}
    names |= {
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in container.get("env", [])
        if "valueFrom" in e and "secretKeyRef" in e["valueFrom"]
    }
    return names


def test_only_token_issuers_get_the_signing_key(
    generated_objects: list[dict[str, Any]],
    synthetic_objects: list[dict[str, Any]],
    base_objects: list[dict[str, Any]],
) -> None:
    from knative.registry import FUNCTIONS
    from tests.contract.conftest import SYNTHETIC

    issuers = {s.service_name for s in (*FUNCTIONS, *SYNTHETIC) if s.issues_tokens}
    assert "log-in" in issuers
    services = [
        o for o in _all(generated_objects, synthetic_objects, base_objects)
        if o["kind"] == "Service" and o["apiVersion"] == render.KSVC_API
    ]  # fmt: skip
    for svc in services:
        refs = _secret_refs(svc)
        name = svc["metadata"]["name"]
        assert (render.SIGNING_SECRET in refs) == (name in issuers), name
        assert (render.PRIVATE_KEY_ENV in _env(svc)) == (name in issuers), name
        if svc["metadata"]["labels"].get("app.kubernetes.io/component") != "dead-letter-sink":
            assert {render.INFRA_SECRET, render.VERIFY_SECRET} <= refs, name


def test_services_are_cluster_local_and_shaped_for_gunicorn(
    generated_objects: list[dict[str, Any]],
    synthetic_objects: list[dict[str, Any]],
    base_objects: list[dict[str, Any]],
) -> None:
    services = [
        o for o in _all(generated_objects, synthetic_objects, base_objects)
        if o["kind"] == "Service" and o["apiVersion"] == render.KSVC_API
    ]  # fmt: skip
    for svc in services:
        name = svc["metadata"]["name"]
        assert svc["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
        spec = svc["spec"]["template"]["spec"]
        env = _env(svc)
        workers, threads = int(env["GX_WORKERS"]["value"]), int(env["GX_THREADS"]["value"])
        assert workers * threads == spec["containerConcurrency"], name
        assert {"FUNCTION_TARGET", "FUNCTION_SOURCE", "FUNCTION_SIGNATURE_TYPE"} <= set(env)
        container = spec["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] in {"/ready", "/health"}
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["securityContext"]["runAsNonRoot"] is True
        annotations = svc["spec"]["template"]["metadata"]["annotations"]
        assert int(annotations["autoscaling.knative.dev/min-scale"]) <= int(
            annotations["autoscaling.knative.dev/max-scale"]
        )


def test_every_image_is_the_one_project_image(
    generated_objects: list[dict[str, Any]], base_objects: list[dict[str, Any]]
) -> None:
    images = set()
    for obj in generated_objects + base_objects:
        template = obj.get("spec", {}).get("template", {})
        for c in template.get("spec", {}).get("containers", []):
            images.add(c["image"])
    assert images == {render.default_image()}


def _settings_env_names() -> set[str]:
    from tests.contract.test_runtime_image import server_settings_class

    names = {f"GX_{f.upper()}" for f in Settings.model_fields}
    names |= {f"GX_GUNICORN_{f.upper()}" for f in server_settings_class().model_fields}
    return names


def test_config_keys_are_real_settings(base_objects: list[dict[str, Any]]) -> None:
    known = _settings_env_names()
    config = [o for o in base_objects if o["kind"] == "ConfigMap"]
    assert config
    assert not [o for o in base_objects if o["kind"] == "Secret"], "Secrets come from the store"
    for cm in config:
        assert set(cm["data"]) <= known, set(cm["data"]) - known
        Settings.model_validate(  # the values parse as the application would parse them
            {k[3:].lower(): v for k, v in cm["data"].items() if not k.startswith("GX_GUNICORN_")}
        )
    assert "GX_JWT_PRIVATE_KEY" not in {k for cm in config for k in cm["data"]}


def test_generated_env_names_are_real_settings(
    generated_objects: list[dict[str, Any]], synthetic_objects: list[dict[str, Any]]
) -> None:
    known = _settings_env_names()
    for svc in (o for o in generated_objects + synthetic_objects if o["kind"] == "Service"):
        gx = {n for n in _env(svc) if n.startswith("GX_")}
        assert gx <= known, gx - known


def test_base_services_run_real_sources(base_objects: list[dict[str, Any]]) -> None:
    for svc in (o for o in base_objects if o["kind"] == "Service"):
        env = _env(svc)
        source = ROOT / env["FUNCTION_SOURCE"]["value"]
        assert source.is_file(), source
        assert f"def {env['FUNCTION_TARGET']['value']}(" in source.read_text()


def test_ping_source_and_triggers_follow_the_spec(synthetic_files: dict[str, str]) -> None:
    docs = load_docs(synthetic_files["project_widget_changed.yaml"])
    triggers = [d for d in docs if d["kind"] == "Trigger"]
    assert sorted(t["spec"]["filter"]["attributes"]["type"] for t in triggers) == [
        "org.gxcoin.chain.widget_created.v1", "org.gxcoin.chain.widget_deleted.v1",
    ]  # fmt: skip
    assert {t["spec"]["delivery"]["retry"] for t in triggers} == {8}
    assert {t["spec"]["delivery"]["backoffDelay"] for t in triggers} == {"PT1S"}
    service = docs[0]
    assert service["spec"]["template"]["spec"]["containerConcurrency"] == 1
    assert _env(service)["GX_WORKERS"]["value"] == "1"
    sweep = load_docs(synthetic_files["sweep_widgets.yaml"])
    assert [d["kind"] for d in sweep] == ["Service", "PingSource"]
    assert sweep[1]["spec"]["schedule"] == "* * * * *"
    assert sweep[1]["spec"]["sink"]["ref"]["name"] == "sweep-widgets"
    login = load_docs(synthetic_files["log_in.yaml"])[0]
    assert login["spec"]["template"]["spec"]["timeoutSeconds"] == 10
    assert (
        login["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"]
        == "1"
    )


def test_renderer_rejects_inconsistent_specs() -> None:
    from knative.spec import FunctionSpec, Scale

    lone = FunctionSpec(name="idle", service="outbox", kind="cloudevent", summary="nothing")
    with pytest.raises(render.RenderError):
        render.render([lone], image="x")
    http_with_types = FunctionSpec(
        name="odd", service="admin", kind="http", summary="x", method="GET", path="/a",
        event_types=("t",),
    )  # fmt: skip
    with pytest.raises(render.RenderError):
        render.render([http_with_types], image="x")
    slow = lone.model_copy(update={"event_types": ("t",), "timeout_s": 3600})
    with pytest.raises(render.RenderError, match="timeout"):
        render.render([slow], image="x")
    inverted = lone.model_copy(update={"event_types": ("t",), "scale": Scale(min=3, max=1)})
    with pytest.raises(render.RenderError, match="scale"):
        render.render([inverted], image="x")


def test_base_folder_holds_only_manifests() -> None:
    # ... and its Kustomization, which lists every one of them (knative/deploy/ builds on it).
    assert {p.suffix for p in BASE.iterdir() if p.name != "Kustomization"} == {".yaml"}
    listed = load_docs((BASE / "Kustomization").read_text())[0]["resources"]
    assert listed == [p.name for p in base_files()]
