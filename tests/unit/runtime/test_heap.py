"""Long-running processes freeze their start-up heap (shared.runtime.heap)."""

from __future__ import annotations

import gc
from types import SimpleNamespace

import pytest

from shared.runtime import gateway, gunicorn_conf, heap


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()


def test_freezing_moves_what_exists_out_of_the_collectors_reach(unfrozen):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    heap.freeze_startup_heap()
    assert gc.get_freeze_count() > 0


def test_a_gateway_worker_freezes_only_after_building_its_apps(monkeypatch):
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(gateway, "default_gateway",
                        lambda: SimpleNamespace(warm=lambda kind: calls.append(("warm", kind))))
    monkeypatch.setattr(heap, "freeze_startup_heap", lambda: calls.append(("freeze",)))
    worker = SimpleNamespace(app=SimpleNamespace(app_uri="shared.runtime.gateway:events_app"))

    gunicorn_conf.post_worker_init(worker)

    assert calls == [("warm", "cloudevent"), ("freeze",)]
