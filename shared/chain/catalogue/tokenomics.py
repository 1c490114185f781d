"""Commands of the TokenomicsContract: TRANSFER_TOKENS, DISTRIBUTE_GENESIS, FREEZE/UNFREEZE_WALLET.

Also the strict field types the other areas' catalogue modules reuse: integer Qirat amounts
(accepted as a JSON integer or a string of digits, > 0, stored as a string), 2-letter countries,
SHA-256 hex digests and chain account ids. User ids are fabric user ids (rules.md §7.4), never
profile ids (gaps D11). Genesis shares the `user:<fabricId>` aggregate with CREATE_USER, so it is
always submitted after the user exists.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

from shared.chain.catalogue import CommandDef, define
from shared.chain.port import ServiceIdentity
from shared.domain import money


def _qirat(value: Any) -> int:
    # AmountError is a ValueError: pydantic reports it as a field error.
    return money.parse(value)


#: A positive integer of Qirat; accepted as int or digit string, serialised as a string.
QiratAmount = Annotated[int, BeforeValidator(_qirat), PlainSerializer(str, return_type=str)]
CountryCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]
Sha256Hex = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-fA-F]{64}$")
]
AccountId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class Strict(BaseModel):
    """Closed payloads: an unknown field is an error, never silently dropped (gaps C3)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class TransferTokens(Strict):
    from_user_id: AccountId = Field(alias="fromUserId",
                                    validation_alias=AliasChoices("fromUserId", "fromID"))
    to_user_id: AccountId = Field(alias="toUserId", validation_alias=AliasChoices("toUserId", "toID"))
    amount: QiratAmount
    remark: Annotated[str, StringConstraints(max_length=500)] | None = None
    tx_type_hint: Annotated[str, StringConstraints(pattern=r"^(|P2P|MERCHANT|GOVERNMENT|B2B)$")] = Field(
        "", alias="txTypeHint")
    idempotency_key: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", alias="idempotencyKey")


class DistributeGenesis(Strict):
    user_id: AccountId = Field(alias="userId", validation_alias=AliasChoices("userId", "userID"))
    # The later mapping accepts `nationality` or `countryCode` (commands.md DISTRIBUTE_GENESIS).
    nationality: CountryCode = Field(validation_alias=AliasChoices("nationality", "countryCode"))


class FreezeWallet(Strict):
    user_id: AccountId = Field(alias="userId", validation_alias=AliasChoices("userId", "userID"))
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class UnfreezeWallet(Strict):
    user_id: AccountId = Field(alias="userId", validation_alias=AliasChoices("userId", "userID"))


TRANSFER_TOKENS = define(CommandDef(
    type="TRANSFER_TOKENS",
    contract="TokenomicsContract",
    function="TransferWithFees",
    payload=TransferTokens,
    args=lambda p: [p.from_user_id, p.to_user_id, str(p.amount), p.tx_type_hint, p.remark or "",
                    p.idempotency_key],
    identity=ServiceIdentity.ADMIN,
    aggregate=lambda p: f"user:{p.from_user_id}",
    service="tokenomics",
    description="Transfer with the fee schedule; the backend has authorised the sender.",
))

DISTRIBUTE_GENESIS = define(CommandDef(
    type="DISTRIBUTE_GENESIS",
    contract="TokenomicsContract",
    function="DistributeGenesis",
    payload=DistributeGenesis,
    args=lambda p: [p.user_id, p.nationality],
    identity=ServiceIdentity.ADMIN,
    aggregate=lambda p: f"user:{p.user_id}",
    service="tokenomics",
    description="Pay a user's genesis allocation and the treasury's share (once per user).",
))

FREEZE_WALLET = define(CommandDef(
    type="FREEZE_WALLET",
    contract="TokenomicsContract",
    function="FreezeWallet",
    payload=FreezeWallet,
    args=lambda p: [p.user_id, p.reason],
    identity=ServiceIdentity.SUPER_ADMIN,
    aggregate=lambda p: f"user:{p.user_id}",
    service="tokenomics",
    description="Freeze a wallet: no money moves in or out.",
))

UNFREEZE_WALLET = define(CommandDef(
    type="UNFREEZE_WALLET",
    contract="TokenomicsContract",
    function="UnfreezeWallet",
    payload=UnfreezeWallet,
    args=lambda p: [p.user_id],
    identity=ServiceIdentity.SUPER_ADMIN,
    aggregate=lambda p: f"user:{p.user_id}",
    service="tokenomics",
    description="Release a frozen wallet.",
))
