"""Request and reply models of tokenomics (spec endpoints.md §3 with its Required behaviour)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from shared.api import PUBLIC, STAFF, ApiModel, Qirat, QiratOut, ReplyModel, visible_to


class TransferIn(ApiModel):
    to_user_id: str = Field(min_length=1, max_length=100,
                            description="profile id, on-chain user id, organisation or treasury")
    amount: Qirat
    remark: str | None = Field(None, max_length=200)
    from_user_id: str | None = Field(None, description="optional; must be the caller")


class GenesisIn(ApiModel):
    user_id: str = Field(min_length=1, max_length=100, description="profile id or on-chain id")


class FreezeIn(ApiModel):
    reason: str = Field(min_length=3, max_length=500)


class HistoryQuery(ApiModel):
    limit: int = Field(20, ge=1, le=100)
    after: str | None = Field(None, max_length=200, description="cursor: older entries")
    before: str | None = Field(None, max_length=200, description="cursor: newer entries")


class FeeQuoteOut(ReplyModel):
    amount: Annotated[QiratOut, visible_to(PUBLIC)]  # the caller's own amount, echoed
    transaction_type: str
    scope: str
    fee_bps: int
    total_fee: QiratOut
    sender_fee: QiratOut
    receiver_fee: QiratOut
    sender_debit: QiratOut
    net_received: QiratOut
    exempt: bool
    fee_collector: str

    @classmethod
    def of(cls, q: Any) -> FeeQuoteOut:
        return cls(
            amount=q.amount, transaction_type=q.tx_type.value, scope=q.scope.value,
            fee_bps=q.fee_bps, total_fee=q.total_fee, sender_fee=q.sender_fee,
            receiver_fee=q.receiver_fee, sender_debit=q.sender_debit,
            net_received=q.net_received, exempt=q.exempt, fee_collector=q.fee_collector,
        )


class Wallet(ReplyModel):
    wallet_id: str
    profile_id: str | None
    account_id: str
    balance: str
    is_frozen: bool
    frozen_reason: str | None = None
    velocity_tax_timer_start: str | None = None
    updated_at: str | None


class BalanceReply(ReplyModel):
    balance: Wallet


class WalletReply(ReplyModel):
    wallet: Wallet


class HistoryReply(ReplyModel):
    transactions: list[dict[str, Any]]
    next_cursor: str | None
    prev_cursor: str | None


class TreasuryBalance(ReplyModel):
    country_code: str
    treasury_id: str
    #: A country's treasury is the public's business, like the supply and the pools.
    balance: Annotated[str, visible_to(PUBLIC, STAFF)]
    status: str
    updated_at: str | None


class TreasuryReply(ReplyModel):
    balance: TreasuryBalance


class PoolsReply(ReplyModel):
    pools: list[dict[str, Any]]


class SupplyReply(ReplyModel):
    supply: dict[str, Any]
