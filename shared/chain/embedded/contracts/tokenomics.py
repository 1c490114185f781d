"""TokenomicsContract: genesis, transfers with fees, system transfers, freezing, balances, history.

The backend authorises the acting user; the chain is called with the admin identity and the user
ids as arguments (overview.md §2 "design flaw" resolution (a)). Every function's single event
names all of its balance legs so the read side can rebuild balances from events alone.
No `Mint`: nothing is minted after bootstrap (rules.md §3.1).
"""

from __future__ import annotations

from typing import Any

from shared.chain.embedded import ledger_ops as ops
from shared.chain.embedded.contracts.identity import require_user
from shared.chain.embedded.framework import (
    ADMINS,
    ANYONE,
    SUPER_ADMINS,
    Stub,
    arg_amount,
    arg_country,
    arg_text,
    arg_uint,
    chaincode,
    reject,
)
from shared.domain import fees, genesis
from shared.domain.accounts import (
    FEE_COLLECTOR,
    GOVT_GENESIS_POOL,
    USER_GENESIS_POOL,
    AccountType,
    is_fee_exempt,
    is_system_account,
    treasury_id,
)
from shared.domain.errors import (
    ACCOUNT_LOCKED,
    ALREADY_EXISTS,
    ALREADY_RECEIVED_GENESIS,
    INVALID_ARGUMENT,
    INVALID_STATE,
    NOT_FOUND,
)

CONTRACT = "TokenomicsContract"

#: InternalTransferEvent.type (events.md §3.10, extended with the later P2P_TRANSFER).
INTERNAL_TYPES = frozenset({
    "GENESIS_MINT", "VELOCITY_TAX", "LOAN_DISBURSEMENT", "LOAN_REPAYMENT", "FEE_COLLECTION",
    "FEE_REDISTRIBUTION", "SYSTEM_ADJUSTMENT", "P2P_TRANSFER",
})


@chaincode(CONTRACT, "DistributeGenesis", roles=ADMINS)
def distribute_genesis(stub: Stub, user_id: str, nationality: str) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    user = require_user(stub, arg_text(user_id, "userID", max_len=128))
    country = arg_country(nationality, "nationality")
    if country != user["nationality"]:
        reject(INVALID_ARGUMENT, f"user {user['userID']} is a national of {user['nationality']}")
    if user["status"] != ops.ACTIVE:
        reject(ACCOUNT_LOCKED, f"user {user['userID']} is {user['status']}")
    if user["genesisMinted"]:
        reject(ALREADY_RECEIVED_GENESIS, f"user {user['userID']} already received genesis mint")
    stats = stub.get_json(ops.stats_key(stub, country))
    if not stats:
        reject(NOT_FOUND, f"country {country} is not initialised")
    p = ops.params(stub)
    grant = genesis.grant(
        user["age"], stats["phaseAllocations"],
        min_age=p.num("genesisMinAge"), max_age=p.num("genesisMaxAge"),
    )
    treasury = treasury_id(country)
    if grant.phase:
        stats["phaseAllocations"][grant.phase - 1] -= 1
        stats["currentPhase"] = grant.phase
        stub.put_json(ops.stats_key(stub, country), stats)
        counters = stub.get_json(ops.counters_key(stub))
        counters["totalUsers"] += 1
        counters["phaseUsers"][str(grant.phase)] += 1
        stub.put_json(ops.counters_key(stub), counters)
        ops.transfer(stub, USER_GENESIS_POOL, user["userID"], grant.user_amount,
                     kind="GENESIS_MINT", remark=f"Genesis phase {grant.phase}")
        ops.transfer(stub, GOVT_GENESIS_POOL, treasury, grant.treasury_amount,
                     kind="GENESIS_MINT", remark=f"Genesis government share for {user['userID']}")
    user["genesisMinted"] = True
    stub.put_json(ops.user_key(stub, user["userID"]), user)
    # One event for both legs: a transaction delivers one event only (events.md §1, gaps C11).
    payload = {
        "userID": user["userID"], "amount": grant.user_amount, "phase": grant.phase,
        "age": user["age"], "eligible": grant.eligible, "nationality": country,
        "poolSource": USER_GENESIS_POOL, "treasuryID": treasury,
        "treasuryAmount": grant.treasury_amount, "treasuryPoolSource": GOVT_GENESIS_POOL,
    }
    stub.set_event("GenesisDistributed", payload)
    return payload


def _require_party(stub: Stub, account_id: str) -> dict[str, Any]:
    account = ops.require_account(stub, account_id)
    if account["type"] == AccountType.INDIVIDUAL.value:
        user = require_user(stub, account_id)
        if user["status"] != ops.ACTIVE:
            reject(ACCOUNT_LOCKED, f"user {account_id} is {user['status']}")
    return account


def idempotency_key(stub: Stub, key: str) -> str:
    return stub.key("idempotency", key)


def _transfer_reads(keys: Any, from_id: str = "", to_id: str = "", *rest: str) -> list[str]:
    """What TransferWithFees reads per transfer (the shared parameters are read once a block)."""
    reads = [ops.account_key(keys, from_id), ops.user_key(keys, from_id),
             ops.account_key(keys, to_id), ops.user_key(keys, to_id)]
    if len(rest) >= 4 and rest[3]:  # amount, type hint, remark, idempotency key
        reads.append(idempotency_key(keys, rest[3]))
    return reads


@chaincode(CONTRACT, "TransferWithFees", roles=ADMINS, prefetch=_transfer_reads)
def transfer_with_fees(
    stub: Stub, from_id: str, to_id: str, amount: str, tx_type_hint: str = "",
    remark: str = "", idem_key: str = "",
) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    sender_id = arg_text(from_id, "fromID", max_len=128)
    receiver_id = arg_text(to_id, "toID", max_len=128)
    value = arg_amount(amount)
    note = arg_text(remark, "remark", max_len=500, allow_empty=True) or "User-initiated transfer"
    key = arg_text(idem_key, "idempotencyKey", max_len=200, allow_empty=True)
    if key:
        # The transaction id already stops a resubmitted command; this key additionally stops
        # the same user request arriving as two different commands.
        if stub.get_json(idempotency_key(stub, key)):
            reject(ALREADY_EXISTS, f"idempotency key {key} was already used")
        stub.put_json(idempotency_key(stub, key), {"txID": stub.tx_id})
    sender = _require_party(stub, sender_id)
    receiver = _require_party(stub, receiver_id)
    quote = fees.quote(
        value, from_id=sender_id, to_id=receiver_id,
        from_type=AccountType(sender["type"]), to_type=AccountType(receiver["type"]),
        from_country=sender.get("country"), to_country=receiver.get("country"),
        params=ops.params(stub), type_hint=tx_type_hint,
    )
    ops.transfer(stub, sender_id, receiver_id, value, kind="TRANSFER", remark=note)
    if quote.sender_fee:
        ops.transfer(stub, sender_id, FEE_COLLECTOR, quote.sender_fee, kind="FEE", remark=note)
    if quote.receiver_fee:
        # The receiver's share comes out of what it just received, even if it cannot spend
        # otherwise (a locked treasury or organisation).
        ops.transfer(stub, receiver_id, FEE_COLLECTOR, quote.receiver_fee, kind="FEE",
                     remark=note, allow_locked_sender=True)
    payload = {
        "transactionID": stub.tx_id, "fromID": sender_id, "toID": receiver_id, "amount": value,
        "senderFee": quote.sender_fee, "receiverFee": quote.receiver_fee,
        "totalFee": quote.total_fee, "fee": quote.total_fee, "netReceived": quote.net_received,
        "feeCollector": quote.fee_collector, "transactionType": quote.tx_type.value,
        "scope": quote.scope.value, "feeBps": quote.fee_bps, "feeExempt": quote.exempt,
        "remark": note, "idempotencyKey": key,
    }
    stub.set_event("TransferWithFeesCompleted", payload)
    return payload


@chaincode(CONTRACT, "TransferInternal", roles=ADMINS)
def transfer_internal(
    stub: Stub, from_id: str, to_id: str, amount: str, transfer_type: str, remark: str
) -> dict[str, Any]:
    ops.require_bootstrapped(stub)
    sender_id = arg_text(from_id, "fromID", max_len=128)
    receiver_id = arg_text(to_id, "toID", max_len=128)
    value = arg_amount(amount)
    kind = arg_text(transfer_type, "type", max_len=40).strip().upper()
    if kind not in INTERNAL_TYPES:
        reject(INVALID_ARGUMENT, f"type must be one of {', '.join(sorted(INTERNAL_TYPES))}")
    note = arg_text(remark, "remark", max_len=500)
    # Fee-exempt movements are for system accounts: at least one side must be a pool or a
    # treasury, so an admin cannot move money between users without the fee schedule.
    if not (is_fee_exempt(sender_id) or is_fee_exempt(receiver_id)):
        reject(INVALID_ARGUMENT, "a system transfer needs a system pool or treasury on one side")
    ops.transfer(stub, sender_id, receiver_id, value, kind=kind, remark=note)
    payload = {"fromID": sender_id, "toID": receiver_id, "amount": value, "type": kind,
               "remark": note}
    stub.set_event("InternalTransferEvent", payload)
    return payload


@chaincode(CONTRACT, "FreezeWallet", roles=SUPER_ADMINS)
def freeze_wallet(stub: Stub, user_id: str, reason: str) -> dict[str, Any]:
    account = ops.require_account(stub, arg_text(user_id, "userID", max_len=128))
    if is_system_account(account["accountID"]):
        reject(INVALID_ARGUMENT, "system pools cannot be frozen")
    if account["frozen"]:
        reject(INVALID_STATE, f"wallet {account['accountID']} is already frozen")
    text = arg_text(reason, "reason", max_len=500, allow_empty=True).strip() or "ADMIN_ACTION"
    account["frozen"] = True
    account["frozenReason"] = text
    ops.save_account(stub, account)
    stub.set_event("WalletFrozen", {"userID": account["accountID"], "reason": text})
    return {"userID": account["accountID"], "frozen": True}


@chaincode(CONTRACT, "UnfreezeWallet", roles=SUPER_ADMINS)
def unfreeze_wallet(stub: Stub, user_id: str) -> dict[str, Any]:
    account = ops.require_account(stub, arg_text(user_id, "userID", max_len=128))
    if not account["frozen"]:
        reject(INVALID_STATE, f"wallet {account['accountID']} is not frozen")
    account["frozen"] = False
    account["frozenReason"] = None
    ops.save_account(stub, account)
    stub.set_event("WalletUnfrozen", {"userID": account["accountID"]})
    return {"userID": account["accountID"], "frozen": False}


@chaincode(CONTRACT, "GetBalance", roles=ANYONE, query=True)
def get_balance(stub: Stub, account_id: str) -> str:
    """The balance as a decimal string of Qirat (commands.md §5)."""
    return str(ops.balance(stub, arg_text(account_id, "userID", max_len=128)))


@chaincode(CONTRACT, "GetTransactionHistory", roles=ANYONE, query=True)
def get_transaction_history(stub: Stub, account_id: str, limit: str = "100") -> list[dict[str, Any]]:
    """The account's movements, newest first: one entry per transaction that changed it."""
    uid = arg_text(account_id, "userID", max_len=128)
    ops.require_account(stub, uid)
    count = min(max(arg_uint(limit, "limit"), 1), 1000)
    entries = []
    for item in stub.get_history_for_key(ops.account_key(stub, uid), count):
        value = item["value"] or {}
        if value.get("lastTxID") != item["txID"]:
            continue  # a status or flag change, not a movement
        entries.append({
            "txID": item["txID"], "blockNumber": item["blockNumber"],
            "timestamp": item["timestamp"], "balance": str(value["balance"]),
            "movements": [{**m, "delta": str(m["delta"])} for m in value.get("movements", [])],
        })
    return entries
