"""Loan pool commands: apply (the borrower), approve (admin), repay (the borrower).

The borrower is passed explicitly (gaps.md C18); approval needs the admin identity, as on chain.
The chain creates the id `LOAN_<uuid>` and returns it as the transaction result (gaps.md B12).
Approval and repayment of one loan are submitted in acceptance order (aggregate `loan:<loanId>`).
"""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from shared.chain.catalogue import CommandDef, define
from shared.chain.catalogue.tokenomics import AccountId, QiratAmount, Sha256Hex, Strict
from shared.chain.port import ServiceIdentity

CONTRACT = "LoanPoolContract"
SERVICE = "loanpool"

Id = AccountId


class Payload(Strict):
    """camelCase on the wire (as the commands.md payloads), closed, frozen."""

    model_config = ConfigDict(alias_generator=to_camel)


class ApplyForLoan(Payload):
    borrower_id: Id
    amount: QiratAmount
    collateral_hash: Sha256Hex


class ApproveLoan(Payload):
    loan_id: Id


class RepayLoan(Payload):
    loan_id: Id
    borrower_id: Id


define(CommandDef(
    type="APPLY_FOR_LOAN", contract=CONTRACT, function="ApplyForLoan", payload=ApplyForLoan,
    args=lambda p: [p.borrower_id, str(p.amount), p.collateral_hash],
    identity=ServiceIdentity.PARTNER_API, aggregate=lambda p: f"borrower:{p.borrower_id}",
    service=SERVICE,
    description="Apply for an interest-free loan (100-1,000,000 coins, trust score >= 75).",
))
define(CommandDef(
    type="APPROVE_LOAN", contract=CONTRACT, function="ApproveLoan", payload=ApproveLoan,
    args=lambda p: [p.loan_id], identity=ServiceIdentity.ADMIN,
    aggregate=lambda p: f"loan:{p.loan_id}", service=SERVICE,
    description="Approve a pending loan: re-check trust, disburse from SYSTEM_LOAN_POOL.",
))
define(CommandDef(
    type="REPAY_LOAN", contract=CONTRACT, function="RepayLoan", payload=RepayLoan,
    args=lambda p: [p.loan_id, p.borrower_id], identity=ServiceIdentity.PARTNER_API,
    aggregate=lambda p: f"loan:{p.loan_id}", service=SERVICE,
    description="The borrower repays the full amount to SYSTEM_LOAN_POOL (0% interest).",
))
