"""Commands of the TaxAndFeeContract: APPLY_VELOCITY_TAX.

The payload names the account only: the rate is the chain's band rate, never the caller's
(gaps B5), so a `taxRateBps` field is refused and the chain is sent an empty rate argument.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.chain.catalogue import CommandDef, define
from shared.chain.catalogue.tokenomics import AccountId, Strict
from shared.chain.port import ServiceIdentity


class ApplyVelocityTax(Strict):
    account_id: AccountId = Field(alias="accountId",
                                  validation_alias=AliasChoices("accountId", "accountID"))


APPLY_VELOCITY_TAX = define(CommandDef(
    type="APPLY_VELOCITY_TAX",
    contract="TaxAndFeeContract",
    function="ApplyVelocityTax",
    payload=ApplyVelocityTax,
    args=lambda p: [p.account_id, ""],
    identity=ServiceIdentity.ADMIN,
    aggregate=lambda p: f"user:{p.account_id}",
    service="tax",
    description="Apply the velocity tax to an eligible account at the chain's band rate.",
))
