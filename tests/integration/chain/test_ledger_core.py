"""The embedded ledger's Fabric semantics: blocks, one event per tx, duplicates, batches, restarts."""

from __future__ import annotations

import dataclasses
import threading
import time

import psycopg
import pytest
from psycopg import sql

from shared.chain.embedded import EmbeddedLedger
from shared.chain.port import (
    BusinessRejection,
    Committed,
    DuplicateTransaction,
    LedgerPort,
    ServiceIdentity,
    Submission,
    TransientFailure,
)
from shared.domain.accounts import FEE_COLLECTOR
from tests.integration.chain.support import ADMIN, PARTNER, SUPER, Chain, new_tx_id


def test_implements_the_port(ledger: EmbeddedLedger) -> None:
    assert isinstance(ledger, LedgerPort)


def test_blocks_are_numbered_and_each_tx_has_one_event(chain: Chain) -> None:
    assert chain.ledger.height() == 0
    first = chain.call("AdminContract", "BootstrapSystem")
    second = chain.call("AdminContract", "PauseSystem", "maintenance")
    assert (first.block_number, first.tx_index) == (1, 0)
    assert (second.block_number, second.tx_index) == (2, 0)
    assert chain.ledger.height() == 2
    assert second.timestamp is not None and first.timestamp is not None
    assert second.timestamp >= first.timestamp
    events = list(chain.ledger.events())
    assert [(e.block_number, e.tx_index, e.name) for e in events] == [
        (1, 0, "SystemBootstrapped"), (2, 0, "SystemPaused")
    ]
    assert events[1].payload == {"reason": "maintenance"}
    assert events[1].tx_id == second.tx_id and events[1].timestamp == second.timestamp


def test_duplicate_tx_id_is_rejected_and_never_applied_twice(booted: Chain) -> None:
    user = booted.create_user()
    tx_id = new_tx_id()
    booted.call("TokenomicsContract", "DistributeGenesis", user, "NG", identity=ADMIN, tx_id=tx_id)
    height, balance = booted.ledger.height(), booted.balance(user)
    with pytest.raises(DuplicateTransaction) as info:
        booted.call("TokenomicsContract", "DistributeGenesis", user, "NG", identity=ADMIN, tx_id=tx_id)
    assert info.value.code == "DUPLICATE_TXID" and info.value.tx_id == tx_id
    assert booted.ledger.height() == height and booted.balance(user) == balance
    found = booted.ledger.transaction(tx_id)
    assert found is not None and found.event is not None
    assert found.event.name == "GenesisDistributed" and found.result["userID"] == user


def test_business_rejection_records_nothing_and_keeps_the_tx_id(booted: Chain) -> None:
    user = booted.create_user()
    tx_id = new_tx_id()
    height = booted.ledger.height()
    with pytest.raises(BusinessRejection) as info:
        booted.call("TokenomicsContract", "TransferWithFees", user, "SYSTEM_GX_POOL", "5000000",
                    "", "", "", identity=ADMIN, tx_id=tx_id)
    assert info.value.code == "INSUFFICIENT_FUNDS"
    assert booted.ledger.height() == height and booted.ledger.transaction(tx_id) is None
    # Once the cause is gone, the same transaction id commits (a rejection consumed nothing).
    booted.call("TokenomicsContract", "DistributeGenesis", user, "NG", identity=ADMIN)
    done = booted.call("TokenomicsContract", "TransferWithFees", user, "SYSTEM_GX_POOL", "5000000",
                       "", "", "", identity=ADMIN, tx_id=tx_id)
    assert done.tx_id == tx_id


def test_batch_is_one_block_and_failures_stay_isolated(booted: Chain) -> None:
    users = [booted.funded_user() for _ in range(3)]
    dup = new_tx_id()
    subs = [
        booted.submission("TokenomicsContract", "TransferWithFees", users[0], users[1], 1_000_000,
                          "", "", "", identity=ADMIN, tx_id=dup),
        booted.submission("TokenomicsContract", "TransferWithFees", users[1], users[2], 10**15,
                          "", "", "", identity=ADMIN),  # insufficient funds
        booted.submission("TokenomicsContract", "TransferWithFees", users[2], users[0], 2_000_000,
                          "", "", "", identity=ADMIN),
        booted.submission("TokenomicsContract", "TransferWithFees", users[0], users[1], 1_000_000,
                          "", "", "", identity=ADMIN, tx_id=dup),  # same id later in the batch
        booted.submission("AdminContract", "BootstrapSystem", identity=PARTNER),  # wrong role
    ]
    height = booted.ledger.height()
    outcomes = booted.ledger.submit_batch(subs)
    assert isinstance(outcomes[0], Committed) and isinstance(outcomes[2], Committed)
    assert isinstance(outcomes[1], BusinessRejection) and outcomes[1].code == "INSUFFICIENT_FUNDS"
    assert isinstance(outcomes[3], DuplicateTransaction)
    assert isinstance(outcomes[4], BusinessRejection) and outcomes[4].code == "NOT_AUTHORIZED"
    assert booted.ledger.height() == height + 1
    assert (outcomes[0].block_number, outcomes[0].tx_index) == (height + 1, 0)
    assert (outcomes[2].block_number, outcomes[2].tx_index) == (height + 1, 1)
    assert booted.total_supply() == 1_250_000_000_000 * 10**6


def test_later_txs_in_a_batch_see_earlier_writes(booted: Chain) -> None:
    subs = [booted.submission("IdentityContract", "CreateUser", "batch-user", "a" * 64, "NG", 20,
                              identity=PARTNER),
            booted.submission("TokenomicsContract", "DistributeGenesis", "batch-user", "NG",
                              identity=ADMIN),
            booted.submission("TokenomicsContract", "DistributeGenesis", "batch-user", "NG",
                              identity=ADMIN)]
    outcomes = booted.ledger.submit_batch(subs)
    assert isinstance(outcomes[0], Committed) and isinstance(outcomes[1], Committed)
    assert isinstance(outcomes[2], BusinessRejection)
    assert outcomes[2].code == "ALREADY_RECEIVED_GENESIS"
    assert booted.balance("batch-user") == 500 * 10**6


def test_a_batch_of_only_rejections_cuts_no_block(booted: Chain) -> None:
    height = booted.ledger.height()
    outcomes = booted.ledger.submit_batch(
        [booted.submission("AdminContract", "BootstrapSystem")]
    )
    assert isinstance(outcomes[0], BusinessRejection) and outcomes[0].code == "ALREADY_BOOTSTRAPPED"
    assert booted.ledger.height() == height
    assert booted.ledger.submit_batch([]) == []


def test_events_after_resume_exactly_after_a_position(booted: Chain) -> None:
    users = [booted.funded_user() for _ in range(2)]
    subs = [booted.submission("TokenomicsContract", "TransferWithFees", users[0], users[1],
                              1_000_000 + i, "", "", "", identity=ADMIN) for i in range(3)]
    booted.ledger.submit_batch(subs)
    every = list(booted.ledger.events())
    positions = [e.position for e in every]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    for cut in range(len(every)):
        rest = list(booted.ledger.events(after=every[cut].position))
        assert [e.position for e in rest] == positions[cut + 1:]
    middle = [e for e in every if e.block_number == every[-1].block_number]
    assert len(middle) == 3  # the batch: one block, three events
    after_first = list(booted.ledger.events(after=middle[0].position))
    assert [e.tx_index for e in after_first] == [1, 2]
    assert [e.position for e in booted.ledger.events(limit=2)] == positions[:2]


def test_restart_keeps_the_ledger(booted: Chain) -> None:
    user = booted.funded_user()
    again = EmbeddedLedger(booted.ledger.dsn, booted.ledger.schema)
    assert again.height() == booted.ledger.height()
    again.close()
    again = EmbeddedLedger(booted.ledger.dsn, booted.ledger.schema)
    assert again.evaluate("TokenomicsContract", "GetBalance", [user]) == str(500 * 10**6)
    assert [e.position for e in again.events()] == [e.position for e in booted.ledger.events()]
    with pytest.raises(BusinessRejection) as info:
        again.submit(Submission("TokenomicsContract", "DistributeGenesis", [user, "NG"],
                                new_tx_id(), ADMIN))
    assert info.value.code == "ALREADY_RECEIVED_GENESIS"


def test_framework_refusals_have_stable_codes(booted: Chain) -> None:
    cases = [
        (("NoSuchContract", "Fn"), SUPER, "UNKNOWN_FUNCTION"),
        (("AdminContract", "PauseSystem"), SUPER, "INVALID_ARGUMENT"),  # missing reason
        (("AdminContract", "PauseSystem", "a", "b"), SUPER, "INVALID_ARGUMENT"),
        (("AdminContract", "PauseSystem", "why"), ADMIN, "NOT_AUTHORIZED"),
        (("TokenomicsContract", "GetBalance", "SYSTEM_GX_POOL"), SUPER, "NOT_SUBMITTABLE"),
    ]
    for (contract, function, *args), identity, code in cases:
        with pytest.raises(BusinessRejection) as info:
            booted.ledger.submit(Submission(contract, function, args, new_tx_id(), identity))
        assert info.value.code == code, (contract, function)
    with pytest.raises(BusinessRejection) as info:
        booted.ledger.submit(Submission("AdminContract", "PauseSystem", ["x"], new_tx_id(),
                                        "gx_nobody"))  # type: ignore[arg-type]
    assert info.value.code == "NOT_AUTHORIZED"
    with pytest.raises(BusinessRejection) as info:
        booted.ledger.evaluate("AdminContract", "PauseSystem", ["x"], SUPER)
    assert info.value.code == "NOT_A_QUERY"


def test_unreachable_database_is_a_transient_failure() -> None:
    broken = EmbeddedLedger("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1", "ledger_x",
                            pool_timeout=0.5)
    try:
        with pytest.raises(TransientFailure) as info:
            broken.height()
        assert info.value.code == "LEDGER_UNAVAILABLE"
        with pytest.raises(TransientFailure):
            broken.submit(Submission("AdminContract", "BootstrapSystem", [], new_tx_id(), SUPER))
    finally:
        broken.close()


def test_reads_do_not_wait_for_the_writer(booted: Chain) -> None:
    user = booted.funded_user()
    held = threading.Event()
    release = threading.Event()

    def hold_writer_lock() -> None:
        with psycopg.connect(booted.ledger.dsn) as conn, conn.transaction():
            conn.execute(sql.SQL("SELECT 1 FROM {}.chain_head WHERE id = 1 FOR UPDATE").format(
                sql.Identifier(booted.ledger.schema)))
            held.set()
            release.wait(10)

    worker = threading.Thread(target=hold_writer_lock)
    worker.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        assert booted.balance(user) == 500 * 10**6
        assert booted.ledger.height() >= 1
        assert list(booted.ledger.events(limit=1))
        assert time.monotonic() - started < 2
    finally:
        release.set()
        worker.join()


def test_writers_are_serialised_into_one_total_order(booted: Chain) -> None:
    users = [booted.funded_user() for _ in range(4)]
    errors: list[BaseException] = []

    def spend(i: int) -> None:
        try:
            for n in range(5):
                booted.ledger.submit(booted.submission(
                    "TokenomicsContract", "TransferWithFees", users[i], users[(i + 1) % 4],
                    1_000_000 + n, "", "", "", identity=ADMIN))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    positions = [e.position for e in booted.ledger.events()]
    assert positions == sorted(set(positions))
    assert booted.total_supply() == 1_250_000_000_000 * 10**6


def test_identity_enum_values_are_the_fabric_roles() -> None:
    assert {i.value for i in ServiceIdentity} == {"gx_super_admin", "gx_admin", "gx_partner_api"}


def test_from_settings_uses_the_configured_database_and_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.config import reset_settings

    schema = f"ledger_s_{new_tx_id()[:8]}"
    monkeypatch.setenv("GX_LEDGER_SCHEMA", schema)
    reset_settings()
    try:
        ledger = EmbeddedLedger.from_settings()
        assert ledger.schema == schema
        try:
            assert ledger.height() == 0
            with psycopg.connect(ledger.dsn) as conn:
                found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                                     (schema,)).fetchone()
            assert found is not None
        finally:
            ledger.drop()
    finally:
        monkeypatch.delenv("GX_LEDGER_SCHEMA")
        reset_settings()


def _transfers(booted: Chain, users: list[str]) -> list[Submission]:
    return [booted.submission("TokenomicsContract", "TransferWithFees", users[i],
                              users[(i + 1) % len(users)], 1_000_000, "", "", f"prefetch-{i}-{new_tx_id()}",
                              identity=ADMIN) for i in range(len(users))]


def test_a_block_reads_its_transfers_parties_in_one_query(
    booted: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TransferWithFees names the keys it reads (framework.chaincode's prefetch): the block
    reads them together up front instead of one round trip per key."""
    from shared.chain.embedded import ledger as ledger_module

    users = [booted.funded_user() for _ in range(4)]
    single: list[str] = []
    read = ledger_module._BlockState.read

    def counting(self, key):  # type: ignore[no-untyped-def]
        if key not in self.writes and key not in self.cache:
            single.append(key)
        return read(self, key)

    monkeypatch.setattr(ledger_module._BlockState, "read", counting)
    outcomes = booted.ledger.submit_batch(_transfers(booted, users))
    assert all(isinstance(o, Committed) for o in outcomes)
    parties = {k for u in users for k in (ledger_module.composite_key("account", u),
                                          ledger_module.composite_key("user", u))}
    assert parties and not parties & set(single)
    assert not any(k.startswith(ledger_module.composite_key("idempotency", "")[:-1]) for k in single)


def test_a_failing_or_wrong_hint_changes_no_outcome(
    booted: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.chain.embedded import framework

    users = [booted.funded_user() for _ in range(3)]
    fn = framework.lookup("TokenomicsContract", "TransferWithFees")
    before = {u: booted.balance(u) for u in [*users, FEE_COLLECTOR]}
    for hint in (lambda keys, *args: 1 / 0, lambda keys, *args: ["no-such-key", "\x00other"]):
        monkeypatch.setitem(framework._REGISTRY, ("TokenomicsContract", "TransferWithFees"),
                            dataclasses.replace(fn, prefetch=hint))
        outcomes = booted.ledger.submit_batch(_transfers(booted, users))
        assert all(isinstance(o, Committed) for o in outcomes)
    # Every transfer moved money between these users and the fee collector only.
    assert sum(booted.balance(u) for u in [*users, FEE_COLLECTOR]) == sum(before.values())
    assert booted.total_supply() == 1_250_000_000_000 * 10**6
