"""Tokenomics and tax functions (spec endpoints.md §3 and §7, with their Required behaviour)."""

from knative.spec import AuditSpec, FunctionSpec, RateLimitSpec

T = "shared.tokenomics.schemas"
A = "shared.audit_state"
X = "shared.tax.schemas"
ACCEPTED = "shared.outbox.reply:CommandAccepted"


def _get(name: str, path: str, summary: str, model: str, **kw: object) -> FunctionSpec:
    return FunctionSpec(name=name, service=kw.pop("service", "tokenomics"), kind="http",  # type: ignore[arg-type]
                        method="GET", path=path, summary=summary, response_model=model,
                        tags=("tokenomics",), **kw)


FUNCTIONS = [
    FunctionSpec(
        name="create_transfer", service="tokenomics", kind="http", method="POST",
        path="/api/v1/transfers", summary="Transfer GX (fees per the chain schedule)",
        auth="user", command=True, request_model=f"{T}:TransferIn", response_model=ACCEPTED,
        response_status=202, tags=("tokenomics",),
        rate_limit=RateLimitSpec(name="transfer", limit=120, window_s=60, key="principal"),
        # The caller's own wallet is what the transfer debits.
        audit=AuditSpec(target_type="WALLET", target="principal", before=f"{A}:wallet",
                        reply=("quote",)),
    ),
    FunctionSpec(
        name="distribute_genesis", service="tokenomics", kind="http", method="POST",
        path="/api/v1/genesis", summary="Trigger a user's genesis distribution",
        auth="super_admin", command=True, request_model=f"{T}:GenesisIn",
        response_model=ACCEPTED, response_status=202, tags=("tokenomics", "admin"),
        audit=AuditSpec(action="GENESIS_REQUESTED", target_type="USER", target="body:userId",
                        before=f"{A}:genesis_user"),
    ),
    _get("get_balance", "/api/v1/wallets/{profileId}/balance", "Wallet balance",
         f"{T}:BalanceReply", auth="user", owner_param="profileId"),
    _get("get_wallet", "/api/v1/wallets/{profileId}", "Wallet", f"{T}:WalletReply",
         auth="user", owner_param="profileId"),
    _get("list_transactions", "/api/v1/wallets/{profileId}/transactions",
         "Transaction history (cursor pages)", f"{T}:HistoryReply", auth="user",
         owner_param="profileId", query_model=f"{T}:HistoryQuery"),
    _get("get_treasury_balance", "/api/v1/treasury/{countryCode}/balance",
         "National treasury balance", f"{T}:TreasuryReply"),
    FunctionSpec(
        name="freeze_wallet", service="tokenomics", kind="http", method="POST",
        path="/api/v1/wallets/{walletId}/freeze", summary="Freeze a wallet", auth="admin",
        command=True, request_model=f"{T}:FreezeIn", response_model=ACCEPTED,
        response_status=202, tags=("tokenomics", "admin"),
        audit=AuditSpec(action="WALLET_FREEZE_REQUESTED", target_type="WALLET",
                        target="path:walletId", before=f"{A}:wallet"),
    ),
    FunctionSpec(
        name="unfreeze_wallet", service="tokenomics", kind="http", method="POST",
        path="/api/v1/wallets/{walletId}/unfreeze", summary="Unfreeze a wallet", auth="admin",
        command=True, response_model=ACCEPTED, response_status=202,
        tags=("tokenomics", "admin"),
        audit=AuditSpec(action="WALLET_UNFREEZE_REQUESTED", target_type="WALLET",
                        target="path:walletId", before=f"{A}:wallet"),
    ),
    _get("list_pools", "/api/v1/tokenomics/pools", "System pools", f"{T}:PoolsReply"),
    _get("get_supply", "/api/v1/tokenomics/supply", "Supply statistics", f"{T}:SupplyReply"),
    FunctionSpec(
        name="calculate_fee", service="tax", kind="http", method="POST",
        path="/api/v1/fees/calculate", summary="Fee preview (exactly what the chain charges)",
        request_model=f"{X}:FeeCalculationIn", response_model=f"{T}:FeeQuoteOut",
        rate_limit=RateLimitSpec(name="fees", limit=60, window_s=60, key="ip"), tags=("tax",),
    ),
    _get("get_velocity_tax_eligibility", "/api/v1/velocity-tax/eligibility/{accountId}",
         "Velocity-tax eligibility (the account's owner or stakeholders, admins)",
         f"{X}:EligibilityReply", service="tax", auth="user"),
    FunctionSpec(
        name="apply_velocity_tax", service="tax", kind="http", method="POST",
        path="/api/v1/velocity-tax/apply", summary="Apply the velocity tax (rate from the chain)",
        auth="admin", command=True, request_model=f"{X}:ApplyVelocityTaxIn",
        response_model=ACCEPTED, response_status=202, tags=("tax", "admin"),
        audit=AuditSpec(action="VELOCITY_TAX_REQUESTED", target_type="ACCOUNT",
                        target="body:accountId", before=f"{A}:velocity_account"),
    ),
]
