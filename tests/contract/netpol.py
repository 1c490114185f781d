"""A small NetworkPolicy evaluator (networking.k8s.io/v1 semantics) for reachability tests.

A connection src -> dst:port is allowed when src's side allows it (no policy in src's namespace
selects src for Egress, or one of those policies has a matching egress rule) and dst's side
allows it (likewise for Ingress). Policies only exist where the manifests put them. An ipBlock
is taken to match every address, pods included (what Calico and Cilium do for 0.0.0.0/0), so a
port-limited allow to "anywhere" counts against the matrix, never for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _ns_labels(ns: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": ns}


def _peer_matches(peer: dict[str, Any], policy_ns: str, other: Pod) -> bool:
    if "ipBlock" in peer:
        return True
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], _ns_labels(other.namespace)):
            return False
    elif other.namespace != policy_ns:
        return False
    return _selects(peer.get("podSelector"), other.labels)


def _ports_match(ports: list[dict[str, Any]] | None, port: int) -> bool:
    return not ports or any(p.get("port") in (None, port) for p in ports)


class Network:
    def __init__(self, policies: list[dict[str, Any]]) -> None:
        self.policies = [p for p in policies if p["kind"] == "NetworkPolicy"]

    def _side(self, pod: Pod, direction: str, other: Pod, port: int) -> bool:
        key = "egress" if direction == "Egress" else "ingress"
        peers_key = "to" if direction == "Egress" else "from"
        selecting = [
            p for p in self.policies
            if p["metadata"]["namespace"] == pod.namespace
            and direction in p["spec"].get("policyTypes", ["Ingress"])
            and _selects(p["spec"]["podSelector"], pod.labels)
        ]  # fmt: skip
        if not selecting:
            return True
        for policy in selecting:
            for rule in policy["spec"].get(key) or []:
                peers = rule.get(peers_key)
                peer_ok = not peers or any(
                    _peer_matches(peer, policy["metadata"]["namespace"], other) for peer in peers
                )
                if peer_ok and _ports_match(rule.get("ports"), port):
                    return True
        return False

    def allowed(self, src: Pod, dst: Pod, port: int) -> bool:
        return self._side(src, "Egress", dst, port) and self._side(dst, "Ingress", src, port)
