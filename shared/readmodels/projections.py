"""What each chain event does to the read models (spec/events.md §6), one function per event.

Each function takes the projector's transaction and the validated `ChainRecord` (payload keys as
the chain writes them: `userID`, `fromID`, ...; the schema guarantees every required key is
there, so no filter is ever built from a missing value, gaps.md C3). Money moves only as the
legs the event names (DESIGN.md §4): the read side rebuilds every balance from events alone.

Order tolerance, decided per event:
- balance legs and history rows are commutative increments / insert-once rows;
- state (frozen flag, velocity timer, system status, parameters, treasury status, user status)
  is position-guarded, and an event about an entity not yet projected creates the row from
  what it carries, so no projection has to wait (and be retried) for another event.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from shared.config import get_settings
from shared.events.cloudevent import ChainRecord
from shared.events.projector import ProjectionRejected
from shared.readmodels import accounts, governance, loans, organizations, system
from shared.readmodels.accounts import Entry

Conn = psycopg.Connection[Any]

USER_GENESIS_POOL = "SYSTEM_USER_GENESIS_POOL"
GOVT_GENESIS_POOL = "SYSTEM_GOVT_GENESIS_POOL"
FEE_COLLECTOR = "SYSTEM_OPERATIONS_FUND"

# InternalTransferEvent.type -> history entry kind (events.md §6).
INTERNAL_KINDS = {
    "GENESIS_MINT": "GENESIS",
    "VELOCITY_TAX": "TAX",
    "LOAN_DISBURSEMENT": "LOAN_DISBURSEMENT",
    "LOAN_REPAYMENT": "LOAN_REPAYMENT",
    "FEE_COLLECTION": "FEE",
    "FEE_REDISTRIBUTION": "FEE",
    "SYSTEM_ADJUSTMENT": "ADJUSTMENT",
}


def _tenant() -> str:
    return get_settings().tenant


# --- money -----------------------------------------------------------------------------------


def transfer_with_fees(conn: Conn, record: ChainRecord) -> None:
    """TransferEvent / TransferWithFeesCompleted: sender -(amount + senderFee), receiver
    +netReceived, fee collector +totalFee; rows SENT, RECEIVED and FEE."""
    p = record.payload
    sender, receiver = p["fromID"], p["toID"]
    amount, sender_fee, receiver_fee = p["amount"], p["senderFee"], p["receiverFee"]
    total_fee, net = p["totalFee"], p["netReceived"]
    collector = p.get("feeCollector", FEE_COLLECTOR)
    if total_fee != sender_fee + receiver_fee or net != amount - receiver_fee:
        # The legs would not balance: money would appear or vanish in the read model.
        raise ProjectionRejected(
            f"inconsistent fee legs: amount={amount} senderFee={sender_fee} "
            f"receiverFee={receiver_fee} totalFee={total_fee} netReceived={net}"
        )
    remark = p.get("remark") or None
    entries = [
        Entry(sender, "SENT", -(amount + sender_fee), receiver, sender_fee, remark),
        Entry(receiver, "RECEIVED", net, sender, receiver_fee, remark),
    ]
    if total_fee:
        entries.append(Entry(collector, "FEE", total_fee, sender, 0, remark))
    accounts.post(conn, record, entries, tenant=_tenant())


def _qirat(text: str, field: str) -> int:
    value = Decimal(text)
    if value != value.to_integral_value():
        raise ProjectionRejected(f"{field}={text} is not a whole number of Qirat")
    return int(value)


def transfer_completed(conn: Conn, record: ChainRecord) -> None:
    """TransferCompleted (a backend event with decimal strings, never emitted by the chain):
    sender -(amount + fee), receiver +amount; rows SENT and RECEIVED. The fee has no named
    collector in this event, so a non-zero fee cannot be balanced and is rejected."""
    p = record.payload
    amount, fee = _qirat(p["amount"], "amount"), _qirat(p["fee"], "fee")
    if fee:
        raise ProjectionRejected("TransferCompleted names no fee collector for its fee")
    sender, receiver = p["fromAccountId"], p["toAccountId"]
    remark = p.get("remark") or None
    accounts.post(conn, record, [
        Entry(sender, "SENT", -amount, receiver, 0, remark),
        Entry(receiver, "RECEIVED", amount, sender, 0, remark),
    ], tenant=_tenant())


def internal_transfer(conn: Conn, record: ChainRecord) -> None:
    """InternalTransferEvent: move the amount; the row kind comes from `type`."""
    p = record.payload
    sender, receiver, amount, kind = p["fromID"], p["toID"], p["amount"], p["type"]
    if kind == "P2P_TRANSFER":
        out_kind, in_kind = "SENT", "RECEIVED"
    else:
        out_kind = in_kind = INTERNAL_KINDS[kind]
    accounts.post(conn, record, [
        Entry(sender, out_kind, -amount, receiver, 0, p["remark"]),
        Entry(receiver, in_kind, amount, sender, 0, p["remark"]),
    ], tenant=_tenant())


def genesis_distributed(conn: Conn, record: ChainRecord) -> None:
    """GenesisDistributed / GenesisDistributionEvent: the user leg from the user genesis pool and
    (when present) the treasury leg from the government genesis pool; phase 0 / amount 0 only
    records that genesis is done."""
    p = record.payload
    user, amount, phase = p["userID"], p["amount"], p["phase"]
    tenant = _tenant()
    remark = f"phase {phase}"
    entries = [Entry(user, "GENESIS", amount, p["poolSource"], 0, remark)]
    if amount:
        entries.append(Entry(p["poolSource"], "GENESIS", -amount, user, 0, remark))
    treasury, treasury_amount = p.get("treasuryID"), p.get("treasuryAmount", 0)
    if treasury_amount:
        if not treasury:
            raise ProjectionRejected("treasuryAmount without treasuryID")
        pool = p.get("treasuryPoolSource", GOVT_GENESIS_POOL)
        entries += [
            Entry(treasury, "GENESIS", treasury_amount, pool, 0, f"government share, {remark}"),
            Entry(pool, "GENESIS", -treasury_amount, treasury, 0, f"government share, {remark}"),
        ]
        system.treasury_allocated(conn, record, treasury_id=treasury,
                                  country_code=p["nationality"], amount=treasury_amount,
                                  phase=phase, tenant=tenant)
    accounts.post(conn, record, entries, tenant=tenant)
    system.genesis_paid(conn, record, user_id=user, amount=amount, phase=phase,
                        eligible=p["eligible"], nationality=p["nationality"], age=p["age"],
                        tenant=tenant)


def treasury_allocation(conn: Conn, record: ChainRecord) -> None:
    """TreasuryAllocationEvent: treasury +amount from the government genesis pool."""
    p = record.payload
    treasury, amount, pool = p["treasuryID"], p["amount"], p["poolSource"]
    tenant = _tenant()
    remark = f"government share, phase {p['phase']}"
    accounts.post(conn, record, [
        Entry(treasury, "GENESIS", amount, pool, 0, remark),
        Entry(pool, "GENESIS", -amount, treasury, 0, remark),
    ], tenant=tenant)
    system.treasury_allocated(conn, record, treasury_id=treasury, country_code=p["nationality"],
                              amount=amount, phase=p["phase"], tenant=tenant)


def velocity_tax(conn: Conn, record: ChainRecord) -> None:
    """VelocityTaxApplied: account -(govtShare + redistributionShare), treasury +govtShare,
    redistribution account +redistributionShare; TAX rows; the timer restarts at timerStart
    (cleared when timerActive is false)."""
    p = record.payload
    account, govt, redistribution = p["accountID"], p["govtShare"], p["redistributionShare"]
    treasury, pool = p.get("treasuryID"), p.get("redistributionAccountID")
    if (govt and not treasury) or (redistribution and not pool):
        raise ProjectionRejected("a velocity-tax share names no receiving account")
    remark = f"velocity tax {p['taxRateBps']} bps"
    entries = [Entry(account, "TAX", -(govt + redistribution), treasury or pool, 0, remark)]
    if govt:
        entries.append(Entry(str(treasury), "TAX", govt, account, 0, remark))
    if redistribution:
        entries.append(Entry(str(pool), "TAX", redistribution, account, 0, remark))
    tenant = _tenant()
    accounts.post(conn, record, entries, tenant=tenant)
    timer = date.fromisoformat(p["timerStart"]) if p.get("timerActive", True) else None
    accounts.set_velocity_timer(conn, record, account, timer, taxed=True, tenant=tenant)


def system_bootstrapped(conn: Conn, record: ChainRecord) -> None:
    """SystemBootstrapped: the one mint: every pool +amount (MINT rows)."""
    tenant = _tenant()
    accounts.post(conn, record, [
        Entry(pool["accountID"], "MINT", pool["amount"], None, 0, "bootstrap")
        for pool in record.payload["pools"]
    ], tenant=tenant)
    system.bootstrapped(conn, record, tenant=tenant)


# --- accounts and users ------------------------------------------------------------------------


def user_created(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    system.user_registered(conn, record, user_id=p["userID"], nationality=p["nationality"],
                           age=p["age"], status=p["status"], trust_score=p["trustScore"],
                           tenant=_tenant())


def wallet_created(conn: Conn, record: ChainRecord) -> None:
    """WalletCreated (a backend event): make sure the wallet's chain account exists. Its
    `initialBalance` is not applied: balances come only from chain legs, and a non-zero one has
    no source leg, so it is rejected rather than minting money in the read model."""
    p = record.payload
    if _qirat(p["initialBalance"], "initialBalance"):
        raise ProjectionRejected("WalletCreated with a non-zero initialBalance has no source leg")
    accounts.ensure(conn, p["primaryAccountId"], tenant=_tenant())


def wallet_frozen(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    accounts.set_frozen(conn, record, p["userID"], True, p["reason"], tenant=_tenant())


def wallet_unfrozen(conn: Conn, record: ChainRecord) -> None:
    accounts.set_frozen(conn, record, record.payload["userID"], False, None, tenant=_tenant())


def admin_appointed(conn: Conn, record: ChainRecord) -> None:
    system.admin_appointed(conn, record, admin_id=record.payload["adminID"], tenant=_tenant())


# --- system ----------------------------------------------------------------------------------


def system_paused(conn: Conn, record: ChainRecord) -> None:
    system.system_status(conn, record, status="PAUSED", reason=record.payload["reason"],
                         tenant=_tenant())


def system_resumed(conn: Conn, record: ChainRecord) -> None:
    system.system_status(conn, record, status="ACTIVE", reason=None, tenant=_tenant())


def system_parameter_updated(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    system.parameter(conn, record, key=p["paramKey"], value=p["paramValue"], tenant=_tenant())


def country_data_initialized(conn: Conn, record: ChainRecord) -> None:
    """CountryDataInitialized: per-country quotas, and each country's treasury (Locked)."""
    tenant = _tenant()
    for country in record.payload["countries"]:
        code = country["countryCode"]
        system.country_initialized(conn, record, country_code=code, data=country, tenant=tenant)
        system.treasury_status(conn, record, country_code=code, treasury_id=country["treasuryID"],
                               status="Locked", tenant=tenant)


def treasury_activated(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    system.treasury_status(conn, record, country_code=p["countryCode"],
                           treasury_id=p["treasuryID"], status="Active", activated=True,
                           tenant=_tenant())


# --- organizations and multisig ----------------------------------------------------------------


def organization_proposed(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    organizations.org_proposed(conn, record, org_id=p["orgID"], name=p["orgName"],
                               org_type=p["orgType"], country=p["country"],
                               stakeholders=p["stakeholders"], status=p["status"],
                               tenant=_tenant())


def membership_endorsed(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    organizations.endorsed(conn, record, org_id=p["orgID"], user_id=p["userID"], tenant=_tenant())


def organization_activated(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    organizations.org_status(conn, record, org_id=p["orgID"], status=p["status"], activated=True,
                             tenant=_tenant())


def auth_rule_defined(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    rule = {"amountThreshold": str(p["amountThreshold"]),
            "requiredApprovers": p["requiredApprovers"], "approverGroup": p["approverGroup"]}
    organizations.rule_defined(conn, record, org_id=p["orgID"], index=p["ruleIndex"], rule=rule,
                               tenant=_tenant())


def _multisig(conn: Conn, record: ChainRecord, status: str, **extra: Any) -> None:
    p = record.payload
    tenant = _tenant()
    organizations.multisig(
        conn, record, pending_tx_id=p["pendingTxID"], org_id=p["orgID"], status=status,
        to_id=p.get("toID"), amount=p.get("amount"), remark=p.get("remark"),
        initiator_id=p.get("initiatorID"), required_approvals=p.get("requiredApprovals"),
        approver_group=p.get("approverGroup"), tenant=tenant, **extra,
    )
    approvers = list(p.get("approvals", []))
    if p.get("approverID"):
        approvers.append(p["approverID"])
    organizations.approvals(conn, record, pending_tx_id=p["pendingTxID"], approver_ids=approvers,
                            tenant=tenant)


def org_transfer_initiated(conn: Conn, record: ChainRecord) -> None:
    """OrgTransferEvent: the multisig transaction, Pending, with the initiator's approval."""
    _multisig(conn, record, "Pending", initiated=True)


def org_tx_approved(conn: Conn, record: ChainRecord) -> None:
    _multisig(conn, record, "Pending")


def org_tx_executed(conn: Conn, record: ChainRecord) -> None:
    """OrgTxExecuted: Executed, and the transfer's legs (with fees) from the org's account."""
    _multisig(conn, record, "Executed", executed=True)
    transfer_with_fees(conn, record)


def org_tx_execution_failed(conn: Conn, record: ChainRecord) -> None:
    _multisig(conn, record, "ExecutionFailed", error=record.payload["error"])


# --- loans -----------------------------------------------------------------------------------


def loan_application_received(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    loans.loan(conn, record, loan_id=p["loanID"], status=p["status"], borrower_id=p["borrowerID"],
               amount=p["amount"], collateral_hash=p["collateralHash"], applied=True,
               tenant=_tenant())


def loan_approved(conn: Conn, record: ChainRecord) -> None:
    """LoanApproved: Active, and the disbursement from the loan pool to the borrower."""
    p = record.payload
    tenant = _tenant()
    loans.loan(conn, record, loan_id=p["loanID"], status=p["status"], borrower_id=p["borrowerID"],
               amount=p["amount"], approved_by=p["approvedBy"], approved=True, tenant=tenant)
    accounts.post(conn, record, [
        Entry(p["fromID"], "LOAN_DISBURSEMENT", -p["amount"], p["toID"], 0, p["remark"]),
        Entry(p["toID"], "LOAN_DISBURSEMENT", p["amount"], p["fromID"], 0, p["remark"]),
    ], tenant=tenant)


def loan_repaid(conn: Conn, record: ChainRecord) -> None:
    """LoanRepaid: Paid, and the repayment from the borrower back to the loan pool."""
    p = record.payload
    tenant = _tenant()
    loans.loan(conn, record, loan_id=p["loanID"], status=p["status"], borrower_id=p["borrowerID"],
               amount=p["amount"], closed=True, tenant=tenant)
    repaid = p["repaidAmount"]
    accounts.post(conn, record, [
        Entry(p["fromID"], "LOAN_REPAYMENT", -repaid, p["toID"], 0, p["remark"]),
        Entry(p["toID"], "LOAN_REPAYMENT", repaid, p["fromID"], 0, p["remark"]),
    ], tenant=tenant)


# --- governance ------------------------------------------------------------------------------


def proposal_submitted(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    governance.proposal(conn, record, proposal_id=p["proposalID"], status=p["status"],
                        target_param=p["targetParam"], new_value=p["newValue"],
                        proposer_id=p["proposerID"],
                        end_time=datetime.fromisoformat(p["endTime"]),
                        submitted=True, tenant=_tenant())


def vote_cast(conn: Conn, record: ChainRecord) -> None:
    """VoteCast: the vote row; a vote before the proposal is projected creates it as Active."""
    p = record.payload
    tenant = _tenant()
    governance.proposal(conn, record, proposal_id=p["proposalID"], status="Active", tenant=tenant)
    governance.vote(conn, record, proposal_id=p["proposalID"], voter_id=p["voterID"],
                    support=p["support"], tenant=tenant)


def proposal_executed(conn: Conn, record: ChainRecord) -> None:
    """ProposalExecuted: Executed, and the parameter it changed (this event replaces
    SystemParameterUpdated for that change)."""
    p = record.payload
    tenant = _tenant()
    governance.proposal(conn, record, proposal_id=p["proposalID"], status=p["status"],
                        target_param=p["targetParam"], new_value=p["newValue"], executed=True,
                        tenant=tenant)
    system.parameter(conn, record, key=p["paramKey"], value=p["paramValue"], tenant=tenant)


def proposal_failed(conn: Conn, record: ChainRecord) -> None:
    p = record.payload
    governance.proposal(conn, record, proposal_id=p["proposalID"], status=p["status"],
                        target_param=p["targetParam"], new_value=p["newValue"],
                        error=p["error"] or None, tenant=_tenant())


# --- relationships ---------------------------------------------------------------------------


def relationship(conn: Conn, record: ChainRecord) -> None:
    """RelationshipRequested / Confirmed / Rejected: the relationship's status (position-guarded)
    and both users' trust scores as the chain recomputed them."""
    p = record.payload
    tenant = _tenant()
    system.relationship(conn, record, relationship_id=p["relationshipID"],
                        subject_id=p["subjectID"], object_id=p["objectID"], rel_type=p["type"],
                        status=p["status"], tenant=tenant)
    system.trust(conn, record, user_id=p["subjectID"], score=p["subjectTrustScore"], tenant=tenant)
    system.trust(conn, record, user_id=p["objectID"], score=p["objectTrustScore"], tenant=tenant)
