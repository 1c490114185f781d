"""Offline Kubernetes schema validation for the manifests in knative/ (no cluster, no internet).

Custom resources: each CRD's `openAPIV3Schema` in knative/crds/ (vendored unchanged
from the upstream CRDs; or GX_KNATIVE_CRDS) converted to JSON Schema. Unknown fields are rejected wherever the CRD lists
properties, including the few objects marked `x-kubernetes-preserve-unknown-fields` that also
list their properties (Trigger `spec`, `spec.delivery`, Service `template.metadata`): the API
server would keep a misspelt field there silently, which is exactly the mistake this catches.
Objects that list no properties (label maps, filter attributes, a ContainerSource template) stay
open; the ContainerSource pod template is then checked against the core pod schema below.
`x-kubernetes-int-or-string` becomes integer-or-string. CEL rules (`x-kubernetes-validations`)
cannot be evaluated here; the ones that concern fields we set are checked by explicit tests.

Platform custom resources (CloudNativePG, Strimzi, External Secrets, cert-manager, Gateway API
v1.6, Envoy Gateway, the OT redis-operator, MinIO, Prometheus operator) are validated the same
way against their upstream CRDs, vendored unchanged in knative/crds/platform/ (see its README).

Core kinds the app's own manifests use (Namespace, ServiceAccount, ConfigMap, Secret, Job) are
held to `CORE` below: a strict schema for exactly the fields this project uses, written from the
Kubernetes API reference (v1.30: core/v1, batch/v1), so a field we start using must be added on
purpose. Every other core kind (NetworkPolicy, PodDisruptionBudget, ...) and the ContainerSource's
pod template are validated against the upstream Kubernetes OpenAPI schemas, converted to strict
JSON Schema (unknown fields rejected), that the `kubernetes-validate` wheel ships offline
(K8S_VERSION below).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_DIR = Path(
    os.environ.get("GX_KNATIVE_CRDS", Path(__file__).resolve().parents[2] / "knative" / "crds")
)
PLATFORM_CRD_DIR = CRD_DIR / "platform"
#: The Kubernetes minor the cluster runs at least; its upstream schemas judge the core kinds.
K8S_VERSION = "1.33.0"

_COPY = (
    "type", "required", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "minItems", "maxItems", "minProperties", "maxProperties", "uniqueItems",
)  # fmt: skip


def convert(node: dict[str, Any]) -> dict[str, Any]:
    """One OpenAPI v3 (structural, Kubernetes flavour) schema node -> JSON Schema."""
    out: dict[str, Any] = {k: node[k] for k in _COPY if k in node}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if "pattern" in out:  # the pattern constrains the string form only
            out["anyOf"][1]["pattern"] = out.pop("pattern")
    elif "anyOf" in node and not node.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [convert(n) for n in node["anyOf"]]
    for key in ("oneOf", "allOf"):
        if key in node:
            out[key] = [convert(n) for n in node[key]]
    if "properties" in node:
        out["properties"] = {k: convert(v) for k, v in node["properties"].items()}
        # Listed properties are the whole vocabulary, even under preserve-unknown-fields (above).
        out["additionalProperties"] = False
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = convert(node["additionalProperties"])
    elif node.get("additionalProperties") is False:
        out["additionalProperties"] = False
    if "items" in node:
        out["items"] = convert(node["items"])
    return out


_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": _NAME, "maxLength": 63},
        "namespace": {"type": "string", "pattern": _NAME, "maxLength": 63},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
}


def _top(api_version: str, kind: str, spec: dict[str, Any] | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "apiVersion": {"const": api_version},
        "kind": {"const": kind},
        "metadata": METADATA,
    }
    required = ["apiVersion", "kind", "metadata"]
    if spec is not None:
        props["spec"] = spec
        required.append("spec")
    return {
        "type": "object",
        "required": required,
        "additionalProperties": False,
        "properties": props,
    }


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> JSON Schema, for every served version of every CRD in CRD_DIR."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    paths = sorted(CRD_DIR.glob("*.yaml")) + sorted(PLATFORM_CRD_DIR.glob("*.yaml"))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # 6 MB of CRDs: the C loader
    for path in paths:
        for doc in yaml.load_all(path.read_text(), Loader=loader):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                if not version.get("served"):
                    continue
                api = f"{group}/{version['name']}"
                schema = version["schema"]["openAPIV3Schema"]
                found[(api, kind)] = _top(api, kind, convert(schema["properties"]["spec"]))
    return found


# --- core kinds: strict, only the fields we use ----------------------------------------------

_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}


def _obj(required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        schema["required"] = required
    return schema


_QUANTITY = {
    "anyOf": [
        {"type": "integer"},
        {
            "type": "string",
            "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE])?$",
        },
    ]
}
_REF = _obj(["name"], name=_STR, optional=_BOOL)
_KEY_REF = _obj(["name", "key"], name=_STR, key=_STR, optional=_BOOL)
ENV_VAR = _obj(
    ["name"],
    name={"type": "string", "pattern": r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"},
    value=_STR,
    valueFrom=_obj(secretKeyRef=_KEY_REF, configMapKeyRef=_KEY_REF),
)
CONTAINER = _obj(
    ["name", "image"],
    name={"type": "string", "pattern": _NAME},
    image=_STR,
    imagePullPolicy={"enum": ["Always", "IfNotPresent", "Never"]},
    command={"type": "array", "items": _STR},
    args={"type": "array", "items": _STR},
    env={"type": "array", "items": ENV_VAR},
    envFrom={"type": "array", "items": _obj(configMapRef=_REF, secretRef=_REF, prefix=_STR)},
    ports={
        "type": "array",
        "items": _obj(
            ["containerPort"], name=_STR, containerPort=_INT, protocol={"enum": ["TCP", "UDP"]}
        ),
    },
    resources=_obj(
        requests={"type": "object", "additionalProperties": _QUANTITY},
        limits={"type": "object", "additionalProperties": _QUANTITY},
    ),
    securityContext=_obj(
        runAsNonRoot=_BOOL,
        runAsUser=_INT,
        runAsGroup=_INT,
        allowPrivilegeEscalation=_BOOL,
        readOnlyRootFilesystem=_BOOL,
        capabilities=_obj(
            drop={"type": "array", "items": _STR}, add={"type": "array", "items": _STR}
        ),
        seccompProfile=_obj(["type"], type={"enum": ["RuntimeDefault", "Localhost", "Unconfined"]}),
    ),
)
POD_TEMPLATE = _obj(
    ["spec"],
    metadata=_obj(labels=_STRING_MAP, annotations=_STRING_MAP),
    spec=_obj(
        ["containers"],
        serviceAccountName=_STR,
        automountServiceAccountToken=_BOOL,
        enableServiceLinks=_BOOL,
        restartPolicy={"enum": ["Always", "OnFailure", "Never"]},
        securityContext=_obj(
            runAsNonRoot=_BOOL,
            runAsUser=_INT,
            runAsGroup=_INT,
            fsGroup=_INT,
            seccompProfile=_obj(
                ["type"], type={"enum": ["RuntimeDefault", "Localhost", "Unconfined"]}
            ),
        ),
        containers={"type": "array", "minItems": 1, "items": CONTAINER},
    ),
)
CORE: dict[tuple[str, str], dict[str, Any]] = {
    ("v1", "Namespace"): _top("v1", "Namespace", None),
    ("v1", "ServiceAccount"): {
        **_top("v1", "ServiceAccount", None),
        "properties": {
            **_top("v1", "ServiceAccount", None)["properties"],
            "automountServiceAccountToken": _BOOL,
        },
    },
    ("v1", "ConfigMap"): {
        **_top("v1", "ConfigMap", None),
        "properties": {**_top("v1", "ConfigMap", None)["properties"], "data": _STRING_MAP},
    },
    ("v1", "Secret"): {
        **_top("v1", "Secret", None),
        "properties": {
            **_top("v1", "Secret", None)["properties"],
            "type": {"enum": ["Opaque"]},
            "stringData": _STRING_MAP,
        },
    },
    ("batch/v1", "Job"): _top(
        "batch/v1",
        "Job",
        _obj(
            ["template"],
            backoffLimit=_INT,
            activeDeadlineSeconds=_INT,
            ttlSecondsAfterFinished=_INT,
            template=POD_TEMPLATE,
        ),
    ),
}


@functools.cache
def upstream_validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    """The strict upstream schema of a core Kubernetes kind (kubernetes-validate's files, as its
    own `validate(..., strict=True)` loads them), or None when Kubernetes has no such kind."""
    import json

    import kubernetes_validate
    from referencing import Registry, Resource

    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    folder = folder / f"v{K8S_VERSION}-local-strict"
    path = folder / f"{kind.lower()}-{group_version}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    definitions = json.loads((folder / "_definitions.json").read_text())
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _validator(obj: dict[str, Any]) -> Any:
    key = (obj.get("apiVersion"), obj.get("kind"))
    schema = CORE.get(key) or crd_schemas().get(key)  # type: ignore[arg-type]
    if schema is not None:
        return jsonschema.Draft202012Validator(schema)
    upstream = upstream_validator(*key) if all(key) else None  # type: ignore[misc]
    if upstream is None:
        raise LookupError(f"no schema for {key}: not a core kind, nor a CRD in {CRD_DIR}")
    return upstream


def schema_for(obj: dict[str, Any]) -> dict[str, Any]:
    return _validator(obj).schema  # type: ignore[no-any-return]


def _lines(validator: Any, obj: Any, prefix: str = "") -> list[str]:
    return [
        f"{prefix}{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in validator.iter_errors(obj)
    ]


def errors(obj: dict[str, Any]) -> list[str]:
    """Every schema violation of one object, as readable lines (empty when valid)."""
    found = _lines(_validator(obj), obj)
    if obj.get("kind") == "ContainerSource":
        # The CRD leaves the pod template open; hold it to Kubernetes' own PodTemplateSpec.
        template = obj.get("spec", {}).get("template", {})
        wrapper = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"},
                   "template": template}  # fmt: skip
        validator = upstream_validator("v1", "PodTemplate")
        found += [
            line.replace("template/", "spec/template/", 1)
            for line in _lines(validator, wrapper)
        ]
    return sorted(found)
