"""The fee preview quotes exactly what the chain charges, across amounts, types and scopes.

Real transfers on the embedded ledger between real accounts of each kind (people in one country
and in two, a person paying a business, a business paying a business through a 1-of-1 multisig
rule), compared with what POST /api/v1/fees/calculate's service answers for the same amount,
transaction type and scope. Amounts are drawn across every band edge (< 3, 3..100, > 100 coins).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.tax.schemas import FeeCalculationIn
from shared.tax.service import calculate
from tests.integration.chain.support import ADMIN, PARTNER, Chain
from tests.integration.chain.test_organization import rule, verified_org

GX = 1_000_000
BIG = 10_000_000 * GX
EDGES = [1, 3 * GX - 1, 3 * GX, 100 * GX, 100 * GX + 1]
AMOUNTS = st.one_of(st.sampled_from(EDGES), st.integers(1, 5_000 * GX))
CASES = ["P2P LOCAL", "P2P CROSS_BORDER", "MERCHANT LOCAL", "MERCHANT CROSS_BORDER", "B2B LOCAL"]


class World:
    """Accounts of every kind, generously funded from a system pool (fee-exempt)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.ng_a, self.ng_b = chain.create_user(country="NG"), chain.create_user(country="NG")
        self.us = chain.create_user(country="US")
        self.biz, people = verified_org(chain, size=2)
        self.biz2, _ = verified_org(chain, size=2)
        chain.call("OrganizationContract", "DefineAuthRule", self.biz, rule(0, 1, [people[0]]),
                   people[0], identity=PARTNER)
        self.biz_signer = people[0]
        for account in (self.ng_a, self.us, self.biz):
            chain.call("TokenomicsContract", "TransferInternal", "SYSTEM_GX_POOL", account, BIG,
                       "SYSTEM_ADJUSTMENT", "test funding", identity=ADMIN)

    def charge(self, case: str, amount: int) -> dict[str, int]:
        """Move `amount` the way `case` names; the fee lines of the chain's event."""
        if case == "B2B LOCAL":
            committed = self.chain.call("OrganizationContract", "InitiateMultiSigTx", self.biz,
                                        self.biz2, amount, "b2b", self.biz_signer,
                                        identity=PARTNER)
        else:
            sender, receiver = {
                "P2P LOCAL": (self.ng_a, self.ng_b),
                "P2P CROSS_BORDER": (self.ng_a, self.us),
                "MERCHANT LOCAL": (self.ng_a, self.biz),
                "MERCHANT CROSS_BORDER": (self.us, self.biz),
            }[case]
            committed = self.chain.call("TokenomicsContract", "TransferWithFees", sender,
                                        receiver, amount, "", "parity", "", identity=ADMIN)
        assert committed.event is not None
        payload = committed.event.payload
        return {k: int(payload[k]) for k in ("senderFee", "receiverFee", "totalFee")}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_preview_equals_what_the_chain_charges(booted: Chain, data: st.DataObject) -> None:
    world = getattr(booted, "_parity_world", None) or World(booted)
    booted._parity_world = world  # type: ignore[attr-defined]  # built once per ledger
    case = data.draw(st.sampled_from(CASES), label="case")
    amount = data.draw(AMOUNTS, label="amount")
    tx_type, scope = case.split()
    preview = calculate(FeeCalculationIn(amount=str(amount), transaction_type=tx_type, scope=scope))
    charged = world.charge(case, amount)
    assert charged == {"senderFee": preview.sender_fee, "receiverFee": preview.receiver_fee,
                       "totalFee": preview.total_fee}, (case, amount, json.dumps(charged))
    assert preview.tx_type.value == tx_type and preview.scope.value == scope
