"""World-state layout and the one place money moves.

Every contract reads and writes accounts, parameters and the system flags through this module:
- `transfer(stub, from_id, to_id, amount, kind=..., remark=...)` is the ONLY way a balance changes
  after bootstrap. It refuses zero/negative amounts, missing accounts, frozen accounts, debits from
  a locked account, insufficient funds and overflow, and it debits exactly what it credits, so the
  sum of all balances stays equal to the bootstrapped supply by construction. It also keeps the
  velocity-tax timer of both accounts and the per-account movement record used for history.
- `mint_at_bootstrap` is the only place coins come into existence (BootstrapSystem, once).
- `require_not_paused` is the pause check the framework runs before every state-changing function.

Key layout (composite keys, see `framework`):
  system/status                 {"status": "ACTIVE"|"PAUSED", "reason", "since"}
  system/bootstrap              {"bootstrapped": true, "at", "totalSupply", "pools": {id: amount}}
  system/params                 {name: value-string} (see shared.domain.parameters)
  system/counters               {"totalUsers", "phaseUsers": {"1".."6"}, "populationShareTotal"}
  admin/<userID>                {"adminID", "appointedAt", "appointedBy"}
  stats/<CC>                    {"countryCode", "populationPct", "phaseAllocations": [6 ints]
                                 (remaining quota per phase), "initialAllocations", "currentPhase"}
  user/<userID>                 the on-chain identity (IdentityContract)
  biometric/<sha256>            {"userID"} (a biometric hash registers one user only)
  account/<accountID>           {"accountID", "type", "country", "balance", "status",
                                 "frozen", "frozenReason", "velocityTaxTimerStart",
                                 "velocityTaxLastCheck", "velocityTaxExempt", "createdAt",
                                 "lastTxID", "movements": [...] (this transaction's legs)}
Balances live on the account record; an organization's account is opened with `open_account`.
"""

from __future__ import annotations

from typing import Any

from shared.chain.embedded.framework import Stub, reject
from shared.domain import velocity_tax
from shared.domain.accounts import MAX_AMOUNT, AccountType
from shared.domain.errors import (
    ACCOUNT_FROZEN,
    ACCOUNT_LOCKED,
    ALREADY_EXISTS,
    INSUFFICIENT_FUNDS,
    INVALID_AMOUNT,
    NOT_BOOTSTRAPPED,
    NOT_FOUND,
    OVERFLOW,
    SYSTEM_PAUSED,
)
from shared.domain.parameters import Params

ACTIVE = "Active"
LOCKED = "Locked"


# --- keys ------------------------------------------------------------------------------------
def status_key(stub: Stub) -> str:
    return stub.key("system", "status")


def bootstrap_key(stub: Stub) -> str:
    return stub.key("system", "bootstrap")


def params_key(stub: Stub) -> str:
    return stub.key("system", "params")


def counters_key(stub: Stub) -> str:
    return stub.key("system", "counters")


def account_key(stub: Stub, account_id: str) -> str:
    return stub.key("account", account_id)


def user_key(stub: Stub, user_id: str) -> str:
    return stub.key("user", user_id)


def stats_key(stub: Stub, country: str) -> str:
    return stub.key("stats", country)


def admin_key(stub: Stub, user_id: str) -> str:
    return stub.key("admin", user_id)


# --- system flags ------------------------------------------------------------------------------
def is_paused(stub: Stub) -> tuple[bool, str]:
    status = stub.get_json(status_key(stub)) or {}
    return status.get("status") == "PAUSED", str(status.get("reason") or "")


def require_not_paused(stub: Stub) -> None:
    paused, reason = is_paused(stub)
    if paused:
        reject(SYSTEM_PAUSED, f"System paused: {reason}")


def require_bootstrapped(stub: Stub) -> dict[str, Any]:
    record = stub.get_json(bootstrap_key(stub))
    if not record:
        reject(NOT_BOOTSTRAPPED, "the system has not been bootstrapped")
    return dict(record)


def params(stub: Stub) -> Params:
    """The chain's current parameters (catalogue defaults for any not stored)."""
    return Params(stub.get_json(params_key(stub)) or {})


# --- accounts ----------------------------------------------------------------------------------
def get_account(stub: Stub, account_id: str) -> dict[str, Any] | None:
    value = stub.get_json(account_key(stub, account_id))
    return dict(value) if value else None


def require_account(stub: Stub, account_id: str) -> dict[str, Any]:
    account = get_account(stub, account_id)
    if account is None:
        reject(NOT_FOUND, f"account {account_id} does not exist")
    return account


def open_account(
    stub: Stub,
    account_id: str,
    account_type: AccountType,
    *,
    country: str | None,
    status: str = ACTIVE,
    velocity_tax_exempt: bool = False,
) -> dict[str, Any]:
    """Create an empty account; refuses an id that already has one."""
    if get_account(stub, account_id) is not None:
        reject(ALREADY_EXISTS, f"account {account_id} already exists")
    account: dict[str, Any] = {
        "accountID": account_id,
        "type": account_type.value,
        "country": country,
        "balance": 0,
        "status": status,
        "frozen": False,
        "frozenReason": None,
        "velocityTaxTimerStart": None,
        "velocityTaxLastCheck": None,
        "velocityTaxExempt": velocity_tax_exempt or account_type is AccountType.SYSTEM,
        "createdAt": stub.tx_timestamp.isoformat(),
        "lastTxID": None,
        "movements": [],
    }
    stub.put_json(account_key(stub, account_id), account)
    return account


def save_account(stub: Stub, account: dict[str, Any]) -> None:
    """Persist non-balance changes (status, frozen flag, timers); balances change only by transfer."""
    stored = require_account(stub, account["accountID"])
    if stored["balance"] != account["balance"]:
        raise AssertionError("balances change only through ledger_ops.transfer")
    stub.put_json(account_key(stub, account["accountID"]), account)


def _record(stub: Stub, account: dict[str, Any], movement: dict[str, Any]) -> None:
    if account.get("lastTxID") != stub.tx_id:
        account["lastTxID"] = stub.tx_id
        account["movements"] = []
    account["movements"].append(movement)


def _touch_timer(stub: Stub, account: dict[str, Any], p: Params) -> None:
    if account.get("velocityTaxExempt"):
        return
    account["velocityTaxTimerStart"] = velocity_tax.next_timer(
        account.get("velocityTaxTimerStart"), account["balance"], stub.tx_timestamp.date(), p
    )


def transfer(
    stub: Stub,
    from_id: str,
    to_id: str,
    amount: int,
    *,
    kind: str,
    remark: str = "",
    allow_locked_sender: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Move `amount` Qirat; returns the updated (sender, receiver) account records."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        reject(INVALID_AMOUNT, f"amount must be a positive integer of Qirat, got {amount!r}")
    if amount > MAX_AMOUNT:
        reject(OVERFLOW, "amount exceeds the 64-bit range")
    if from_id == to_id:
        reject(INVALID_AMOUNT, "sender and receiver are the same account")
    sender = require_account(stub, from_id)
    receiver = require_account(stub, to_id)
    for account in (sender, receiver):
        if account.get("frozen"):
            reject(ACCOUNT_FROZEN, f"account {account['accountID']} is frozen")
    # A locked account (a treasury before activation, a locked organisation) may receive but not
    # spend: the genesis government share accrues to a treasury before an admin activates it.
    if sender.get("status") != ACTIVE and not allow_locked_sender:
        reject(ACCOUNT_LOCKED, f"account {from_id} is {sender.get('status')}")
    if sender["balance"] < amount:
        reject(INSUFFICIENT_FUNDS, f"insufficient funds in {from_id}: balance {sender['balance']},"
                                   f" needed {amount}")
    if receiver["balance"] + amount > MAX_AMOUNT:
        reject(OVERFLOW, f"balance of {to_id} would exceed the 64-bit range")
    sender["balance"] -= amount
    receiver["balance"] += amount
    p = params(stub)
    _record(stub, sender, {"counterparty": to_id, "delta": -amount, "kind": kind, "remark": remark})
    _record(stub, receiver, {"counterparty": from_id, "delta": amount, "kind": kind, "remark": remark})
    _touch_timer(stub, sender, p)
    _touch_timer(stub, receiver, p)
    stub.put_json(account_key(stub, from_id), sender)
    stub.put_json(account_key(stub, to_id), receiver)
    return sender, receiver


def mint_at_bootstrap(stub: Stub, pool_id: str, amount: int) -> None:
    """Create a pool with its pre-minted supply: only BootstrapSystem may call this, once."""
    if stub.get_json(bootstrap_key(stub)):
        reject("ALREADY_BOOTSTRAPPED", "coins are minted only at bootstrap")
    account = open_account(stub, pool_id, AccountType.SYSTEM, country=None)
    account["balance"] = amount
    _record(stub, account, {"counterparty": "", "delta": amount, "kind": "BOOTSTRAP_MINT", "remark": ""})
    stub.put_json(account_key(stub, pool_id), account)


def balance(stub: Stub, account_id: str) -> int:
    return int(require_account(stub, account_id)["balance"])
