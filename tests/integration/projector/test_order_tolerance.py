"""Acceptance 1: any random valid chain history, delivered (a) once in order and (b) shuffled
with duplicates, produces identical read models, and the projected balances equal the ledger's
`GetBalance` for every account the history touched (DESIGN.md §4)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import db
from tests.integration.projector.harness import (
    all_events,
    build_history,
    cloud_event,
    deliver,
    ledger_balances,
    new_ledger,
    private_database,
    reset_read_models,
    snapshot,
)


@pytest.fixture(scope="module")
def dsn():  # type: ignore[no-untyped-def]
    with private_database() as url:
        yield url


def _project_all(events, *, shuffle_seed: int | None = None, duplicates: float = 0.0) -> None:  # type: ignore[no-untyped-def]
    order = list(events)
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        order += [e for e in events if rng.random() < duplicates]
        rng.shuffle(order)
    for event in order:
        assert deliver(cloud_event(event), structured=bool(hash(event.tx_id) & 1)) < 300


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history_seed=st.integers(0, 2**32), shuffle_seed=st.integers(0, 2**32),
       duplicates=st.sampled_from([0.1, 0.5, 1.0]))
def test_in_order_and_shuffled_with_duplicates_give_identical_read_models(
    dsn: str, history_seed: int, shuffle_seed: int, duplicates: float
) -> None:
    ledger = new_ledger(dsn)
    try:
        build_history(ledger, random.Random(history_seed), users=6, operations=40)
        events = all_events(ledger)
        reset_read_models(dsn)
        _project_all(events)
        in_order = snapshot(dsn)

        reset_read_models(dsn)
        _project_all(events, shuffle_seed=shuffle_seed, duplicates=duplicates)
        shuffled = snapshot(dsn)
        assert shuffled == in_order

        accounts = [r["account_id"] for r in db.fetch_all("SELECT account_id FROM rm_accounts")]
        projected = {r["account_id"]: int(r["balance"])
                     for r in db.fetch_all("SELECT account_id, balance FROM rm_accounts")}
        assert projected == ledger_balances(ledger, accounts)
        assert db.fetch_one("SELECT count(*) AS n FROM event_dead_letters")["n"] == 0
    finally:
        ledger.drop()
