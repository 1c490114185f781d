"""Property tests: random histories of valid and invalid transactions against the real ledger.

After every step: the sum of all balances (users, treasuries, pools, fee collector) equals the
bootstrapped supply; no balance is negative; genesis was paid at most once per user and never
beyond a country's phase quota; a replayed transaction id changed nothing; a paused chain refused
every write but ResumeSystem. At the end, folding the events alone rebuilds every balance.
"""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import events
from shared.chain.embedded import EmbeddedLedger
from shared.chain.port import (
    BusinessRejection,
    ChainError,
    Committed,
    DuplicateTransaction,
    Submission,
)
from shared.domain.accounts import FEE_COLLECTOR, TOTAL_SUPPLY, coins
from tests.integration.chain.support import ADMIN, PARTNER, SUPER, Clock, new_tx_id

USERS = [f"U{i}" for i in range(6)]
COUNTRY_OF = {"U0": "NG", "U1": "NG", "U2": "US", "U3": "VA", "U4": "VA", "U5": "VA"}
COUNTRIES = [{"code": "NG", "percentage": "0.03"}, {"code": "US", "percentage": "0.03"},
             {"code": "VA", "percentage": "0.000000001"}]  # VA quotas: [0, 0, 0, 0, 1, 2]
ACCOUNTS = USERS + ["treasury_NG", "treasury_US", "treasury_VA", "SYSTEM_GX_POOL", FEE_COLLECTOR]
AMOUNTS = st.one_of(st.integers(1, coins(3)), st.integers(coins(3), coins(600)),
                    st.sampled_from([coins(10**6), 2**64]))


def fold(all_events: list[Any]) -> Counter[str]:
    """Balances rebuilt from events alone (what the read side must be able to do)."""
    bal: Counter[str] = Counter()
    for e in all_events:
        p = e.payload
        if e.name == "SystemBootstrapped":
            for pool in p["pools"]:
                bal[pool["accountID"]] += pool["amount"]
        elif e.name == "GenesisDistributed":
            bal[p["poolSource"]] -= p["amount"]
            bal[p["userID"]] += p["amount"]
            if p.get("treasuryAmount"):
                bal[p["treasuryPoolSource"]] -= p["treasuryAmount"]
                bal[p["treasuryID"]] += p["treasuryAmount"]
        elif e.name == "TransferWithFeesCompleted":
            bal[p["fromID"]] -= p["amount"] + p["senderFee"]
            bal[p["toID"]] += p["netReceived"]
            bal[p["feeCollector"]] += p["totalFee"]
        elif e.name == "InternalTransferEvent":
            bal[p["fromID"]] -= p["amount"]
            bal[p["toID"]] += p["amount"]
        elif e.name == "VelocityTaxApplied":
            bal[p["accountID"]] -= p["taxAmount"]
            bal[p["treasuryID"]] += p["govtShare"]
            bal[p["redistributionAccountID"]] += p["redistributionShare"]
    return bal


class LedgerHistory(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.ledger = EmbeddedLedger(os.environ["GX_DATABASE_URL"],
                                     f"ledger_p_{secrets.token_hex(4)}", clock=self.clock)
        self.paused = False
        self.committed: list[Committed] = []
        # A head start (users U0-U3 registered, U0 and U2 funded) so that most random steps
        # exercise money movement rather than "not found"; U4/U5 are created by the rules.
        setup = [Submission("AdminContract", "BootstrapSystem", [], new_tx_id(), SUPER),
                 Submission("AdminContract", "InitializeCountryData", [json.dumps(COUNTRIES)],
                            new_tx_id(), SUPER)]
        setup += [Submission("IdentityContract", "CreateUser",
                             [u, secrets.token_hex(32), COUNTRY_OF[u], "30"], new_tx_id(), PARTNER)
                  for u in USERS[:4]]
        setup += [Submission("TokenomicsContract", "DistributeGenesis", [u, COUNTRY_OF[u]],
                             new_tx_id(), ADMIN) for u in ("U0", "U2")]
        for sub in setup:
            self.committed.append(self.ledger.submit(sub))

    def teardown(self) -> None:
        self.ledger.drop()

    # --- helpers -------------------------------------------------------------------------------
    def run(self, contract: str, function: str, *args: Any, identity: Any = ADMIN) -> ChainError | Committed:
        sub = Submission(contract, function, [str(a) for a in args], new_tx_id(), identity)
        (outcome,) = self.ledger.submit_batch([sub])
        self.record(sub, outcome)
        return outcome

    def record(self, sub: Submission, outcome: ChainError | Committed) -> None:
        if isinstance(outcome, Committed):
            assert outcome.event is not None
            assert not events.validation_errors(outcome.event.name, outcome.event.payload)
            # A paused chain commits nothing but ResumeSystem.
            assert not self.paused or sub.function == "ResumeSystem", sub.function
            self.committed.append(outcome)
            if sub.function == "PauseSystem":
                self.paused = True
            if sub.function == "ResumeSystem":
                self.paused = False
        else:
            assert isinstance(outcome, BusinessRejection), outcome
            if self.paused and sub.function != "ResumeSystem" and outcome.code != "NOT_AUTHORIZED":
                assert outcome.code == "SYSTEM_PAUSED", (sub.function, outcome.code)

    # --- rules ---------------------------------------------------------------------------------
    @rule(user=st.sampled_from(USERS), age=st.sampled_from([10, 13, 40, 73, 80]))
    def create_user(self, user: str, age: int) -> None:
        self.run("IdentityContract", "CreateUser", user, secrets.token_hex(32), COUNTRY_OF[user], age,
                 identity=PARTNER)

    @rule(user=st.sampled_from(USERS + ["ghost"]))
    def genesis(self, user: str) -> None:
        self.run("TokenomicsContract", "DistributeGenesis", user, COUNTRY_OF.get(user, "NG"))

    @rule(frm=st.sampled_from(ACCOUNTS), to=st.sampled_from(ACCOUNTS), amount=AMOUNTS)
    def transfer(self, frm: str, to: str, amount: int) -> None:
        self.run("TokenomicsContract", "TransferWithFees", frm, to, amount, "", "", "")

    @rule(to=st.sampled_from(USERS), amount=AMOUNTS)
    def internal(self, to: str, amount: int) -> None:
        self.run("TokenomicsContract", "TransferInternal", "SYSTEM_GX_POOL", to, amount,
                 "SYSTEM_ADJUSTMENT", "test")

    @rule(user=st.sampled_from(USERS), freeze=st.booleans())
    def freeze(self, user: str, freeze: bool) -> None:
        if freeze:
            self.run("TokenomicsContract", "FreezeWallet", user, "check", identity=SUPER)
        else:
            self.run("TokenomicsContract", "UnfreezeWallet", user, identity=SUPER)

    @rule(pause=st.booleans())
    def pause(self, pause: bool) -> None:
        if pause:
            self.run("AdminContract", "PauseSystem", "drill", identity=SUPER)
        else:
            self.run("AdminContract", "ResumeSystem", identity=SUPER)

    @rule(pct=st.sampled_from(["0", "50", "100", "101"]))
    def split(self, pct: str) -> None:
        self.run("AdminContract", "UpdateSystemParameter", "FEE_SENDER_PCT", pct)

    @rule(user=st.sampled_from(USERS), days=st.sampled_from([0, 120, 365]))
    def velocity_tax(self, user: str, days: int) -> None:
        self.clock.advance(days)
        self.run("TaxAndFeeContract", "ApplyVelocityTax", user, "")

    @rule(frm=st.sampled_from(USERS), amount=AMOUNTS, n=st.integers(1, 4))
    def batch(self, frm: str, amount: int, n: int) -> None:
        subs = [Submission("TokenomicsContract", "TransferWithFees",
                           [frm, USERS[(USERS.index(frm) + i + 1) % len(USERS)], str(amount), "", "", ""],
                           new_tx_id(), ADMIN) for i in range(n)]
        for sub, outcome in zip(subs, self.ledger.submit_batch(subs), strict=True):
            self.record(sub, outcome)

    @precondition(lambda self: len(self.committed) > 0)
    @rule(pick=st.integers(0, 10**6))
    def replay(self, pick: int) -> None:
        old = self.committed[pick % len(self.committed)]
        tx = self.ledger.transaction(old.tx_id)
        assert tx is not None
        before = (self.ledger.height(), self.ledger.state_by_prefix("account\x1f"))
        other_call = Submission("AdminContract", "PauseSystem", ["x"], old.tx_id, SUPER)
        money_call = Submission("TokenomicsContract", "TransferInternal",
                                    ["SYSTEM_GX_POOL", "U0", "1", "SYSTEM_ADJUSTMENT", "x"],
                                    old.tx_id, ADMIN)
        for dup in (other_call, money_call):
            (outcome,) = self.ledger.submit_batch([dup])
            assert isinstance(outcome, DuplicateTransaction)
        assert (self.ledger.height(), self.ledger.state_by_prefix("account\x1f")) == before

    # --- invariants ----------------------------------------------------------------------------
    @invariant()
    def supply_is_conserved_and_nothing_is_negative(self) -> None:
        accounts = self.ledger.state_by_prefix("account\x1f")
        balances = [a["balance"] for a in accounts.values()]
        assert sum(balances) == TOTAL_SUPPLY
        assert all(b >= 0 for b in balances)

    @invariant()
    def genesis_at_most_once_and_within_quota(self) -> None:
        paid = [c.event.payload for c in self.committed
                if c.event is not None and c.event.name == "GenesisDistributed"]
        per_user = Counter(p["userID"] for p in paid)
        assert all(n == 1 for n in per_user.values())
        for country in ("NG", "US", "VA"):
            stats = self.ledger.state(f"stats\x1f{country}")
            grants = Counter(p["phase"] for p in paid if p["nationality"] == country and p["phase"])
            for phase in range(1, 7):
                remaining = stats["phaseAllocations"][phase - 1]
                assert remaining >= 0
                assert stats["initialAllocations"][phase - 1] - remaining == grants[phase]

    def check_fold(self) -> None:
        rebuilt = fold(list(self.ledger.events(limit=100_000)))
        actual = {k: v["balance"] for k, v in
                  ((v["accountID"], v) for v in self.ledger.state_by_prefix("account\x1f").values())}
        for account, value in actual.items():
            assert rebuilt.get(account, 0) == value, account

    @invariant()
    def events_alone_rebuild_every_balance(self) -> None:
        self.check_fold()


LedgerHistory.TestCase.settings = settings(
    max_examples=15, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_histories = LedgerHistory.TestCase
