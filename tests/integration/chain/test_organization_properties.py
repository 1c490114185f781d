"""Chain-level property: random organization, multisig and loan histories conserve money.

Whatever mix of funding, multisig initiations and approvals (including failed executions), loan
applications, approvals and repayments, freezes and refusals happens, the sum of all balances
stays the bootstrapped supply and no balance is ever negative.
"""

from __future__ import annotations

import json
import secrets
import weakref

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.chain.port import BusinessRejection
from shared.domain.accounts import TOTAL_SUPPLY, coins
from tests.integration.chain.support import ADMIN, PARTNER, SUPER, Chain
from tests.integration.chain.test_loanpool import HASH, make_trusted

ORG = "OrganizationContract"
LOANS = "LoanPoolContract"

_WORLDS: weakref.WeakKeyDictionary[Chain, dict[str, list[str]]] = weakref.WeakKeyDictionary()

# Weighted towards the money-moving steps; freezes are rare so they do not block everything.
OPS = st.sampled_from(["fund"] * 3 + ["initiate"] * 3 + ["approve"] * 5 + ["apply"] * 2
                      + ["approve_loan"] * 2 + ["repay"] * 2 + ["freeze", "unfreeze"])


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_histories_conserve_supply(booted: Chain, data: st.DataObject) -> None:
    world = _world(booted)
    for _ in range(data.draw(st.integers(6, 20), label="steps")):
        op = data.draw(OPS, label="op")
        try:
            _step(booted, world, op, data)
        except BusinessRejection:
            pass  # refusals are part of the history; they must not move money either
        accounts = booted.all_accounts()
        assert sum(accounts.values()) == TOTAL_SUPPLY
        assert min(accounts.values()) >= 0
    for pending in world["pending"]:
        tx = booted.query(ORG, "GetPendingTx", pending)
        assert tx["status"] in {"Pending", "Executed", "ExecutionFailed"}
        assert len(set(tx["approvals"])) == len(tx["approvals"])


def _world(chain: Chain) -> dict[str, list[str]]:
    """Built once per test function (hypothesis reuses the fixture's chain across examples)."""
    if chain in _WORLDS:
        return _WORLDS[chain]
    people = [chain.funded_user() for _ in range(3)]
    org_id = f"ORG-{secrets.token_hex(4)}"
    chain.call(ORG, "ProposeOrganization", org_id, "Prop Co", "BUSINESS", json.dumps(people),
               people[0], identity=PARTNER)
    for person in people:
        chain.call(ORG, "EndorseMembership", org_id, person, identity=PARTNER)
    chain.call(ORG, "ActivateOrganization", org_id, people[0], identity=PARTNER)
    for threshold, k in ((0, 1), (coins(50), 2), (coins(200), 3)):
        chain.call(ORG, "DefineAuthRule", org_id, json.dumps(
            {"amountThreshold": threshold, "requiredApprovers": k, "approverGroup": people[:k]}),
            people[0], identity=PARTNER)
    borrower = chain.create_user()
    make_trusted(chain, borrower)
    world = {"people": people, "org": [org_id], "borrower": [borrower], "pending": [],
             "loans": [], "recipients": [borrower, *people]}
    _WORLDS[chain] = world
    return world


def _step(chain: Chain, world: dict[str, list[str]], op: str, data: st.DataObject) -> None:
    org_id, borrower = world["org"][0], world["borrower"][0]
    people = world["people"]
    amount = data.draw(st.integers(1, coins(400)), label="amount")
    if op == "fund":
        chain.call("TokenomicsContract", "TransferWithFees", data.draw(st.sampled_from(people)),
                   org_id, amount, "", "fund", "", identity=ADMIN)
    elif op == "initiate":
        initiator = data.draw(st.sampled_from([*people, borrower]), label="initiator")
        to = data.draw(st.sampled_from(world["recipients"]), label="to")
        result = chain.call(ORG, "InitiateMultiSigTx", org_id, to, amount, "", initiator,
                            identity=PARTNER).result
        world["pending"].append(result["pendingTxID"])
    elif op == "approve" and world["pending"]:
        pending = data.draw(st.sampled_from(world["pending"]), label="pending")
        chain.call(ORG, "ApproveMultiSigTx", pending, data.draw(st.sampled_from(people)),
                   identity=PARTNER)
    elif op == "apply":
        value = data.draw(st.integers(coins(90), coins(600)), label="loan")
        world["loans"].append(chain.call(LOANS, "ApplyForLoan", borrower, value, HASH,
                                         identity=PARTNER).result["loanID"])
    elif op == "approve_loan" and world["loans"]:
        chain.call(LOANS, "ApproveLoan", data.draw(st.sampled_from(world["loans"])), identity=ADMIN)
    elif op == "repay" and world["loans"]:
        chain.call(LOANS, "RepayLoan", data.draw(st.sampled_from(world["loans"])), borrower,
                   identity=PARTNER)
    elif op in ("freeze", "unfreeze"):
        target = data.draw(st.sampled_from(world["recipients"]), label="target")
        if op == "freeze":
            chain.call("TokenomicsContract", "FreezeWallet", target, "test", identity=SUPER)
        else:
            chain.call("TokenomicsContract", "UnfreezeWallet", target, identity=SUPER)
