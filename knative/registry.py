"""The one list of deployable functions.

Every HTTP endpoint, CloudEvent handler and scheduled job is one `FunctionSpec`. The dev server,
the OpenAPI document, the auth and rate-limit checks in `shared.http`, the tests and the Knative
manifests all read this list. Entries are grouped per service in `knative/services/<service>.py`;
this module joins them and checks that names and routes are unique.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from knative import services
from knative.spec import FunctionSpec

__all__ = ["FUNCTIONS", "FunctionSpec", "get_spec", "http_functions", "event_functions"]


def _load() -> tuple[FunctionSpec, ...]:
    specs: list[FunctionSpec] = []
    for info in sorted(pkgutil.iter_modules(services.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"knative.services.{info.name}")
        specs.extend(module.FUNCTIONS)
    names = [s.name for s in specs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"function names must be unique: {sorted(dupes)}")
    # Every write a staff member can make is audited; its contract says what the record names.
    unaudited = sorted(s.name for s in specs if s.audited and s.audit is None)
    if unaudited:
        raise ValueError(f"routes a staff member can write through need `audit=`: {unaudited}")
    unknown = sorted(s.name for s in specs if s.audit and s.audit.target
                     and s.audit.target.startswith("path:")
                     and s.audit.target[5:] not in s.path_params)
    if unknown:
        raise ValueError(f"audit target names no path parameter of the route: {unknown}")
    routes = [(s.method, s.path) for s in specs if s.kind == "http"]
    clashes = {r for r in routes if routes.count(r) > 1}
    if clashes:
        raise ValueError(f"two functions claim the same route: {sorted(clashes)}")
    return tuple(specs)


FUNCTIONS: tuple[FunctionSpec, ...] = _load()
_BY_NAME = {s.name: s for s in FUNCTIONS}


def get_spec(name: str) -> FunctionSpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise LookupError(f"function {name!r} is not in knative/registry") from None


@functools.cache
def http_functions() -> tuple[FunctionSpec, ...]:
    return tuple(s for s in FUNCTIONS if s.kind == "http")


@functools.cache
def event_functions() -> tuple[FunctionSpec, ...]:
    return tuple(s for s in FUNCTIONS if s.kind == "cloudevent")
