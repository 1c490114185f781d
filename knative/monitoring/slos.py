"""The service level objectives, one per function, derived from its registry entry.

Availability only: the share of requests (HTTP) or deliveries (CloudEvents) that did not fail
on our side, over 30 days. What counts as a failure:

| kind | good | bad |
|---|---|---|
| HTTP function | any reply below 500 (a 4xx is the caller's mistake) | 5xx |
| projector | `projected`, `duplicate` | `retry` (the broker redelivers), `dead_lettered` |

| class | functions | objective | error budget (30 d) |
|---|---|---|---|
| command | HTTP endpoints that accept a command (202) | 99.9 % | 43 min |
| query | every other HTTP endpoint | 99.5 % | 3.6 h |
| projection | event handlers of the read side | 99.9 % | 43 min |

The outbox workers (`submit_command`, `sweep_outbox`) have no request SLO: they are judged by
the outbox alerts (claimable age, dead commands), which see what a failing worker leaves behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from knative.spec import FunctionSpec


@dataclass(frozen=True)
class Slo:
    name: str  # the class: command, query, projection
    objective: float  # e.g. 0.999
    kind: str  # "http" or "events": which recorded error ratio applies
    description: str


SLOS = {
    "command": Slo("command", 0.999, "http", "HTTP endpoints that accept a command"),
    "query": Slo("query", 0.995, "http", "HTTP endpoints that read or act synchronously"),
    "projection": Slo("projection", 0.999, "events", "read-side event handlers"),
}


def slo_for(spec: FunctionSpec) -> Slo | None:
    if spec.kind == "http":
        return SLOS["command" if spec.command else "query"]
    if spec.service == "projector":
        return SLOS["projection"]
    return None


def by_slo(specs: Iterable[FunctionSpec]) -> dict[str, list[str]]:
    """SLO class -> sorted function names under it."""
    out: dict[str, list[str]] = {name: [] for name in SLOS}
    for spec in specs:
        slo = slo_for(spec)
        if slo is not None:
            out[slo.name].append(spec.name)
    return {k: sorted(v) for k, v in out.items() if v}
