"""Balances and transaction history (`rm_accounts`, `rm_account_entries`).

Writes (projectors): `post` applies a transaction's balance effects as commutative increments
(so any delivery order gives the same balances) and its history rows, unique on
(tx id, account, entry kind) so a row can never be written twice. Flags and timers carry the
chain position that set them and ignore older events.

Reads (HTTP read endpoints): a balance by chain account id or by profile id (through
`user_profiles.fabric_user_id`), and history pages by keyset cursor over
(block number, tx index, entry id) in both directions. Replies are JSON-ready: amounts in Qirat,
block numbers and tx ids as strings (gaps.md B15).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import psycopg
from psycopg.types.json import Jsonb

from shared import db, pagination
from shared.errors import ValidationFailed
from shared.events.cloudevent import ChainRecord
from shared.observability import MONEY_ENTRIES, MONEY_QIRAT

Conn = psycopg.Connection[Any]

MAX_PAGE = 100


def owner_type_for(account_id: str) -> str:
    """The kind of a chain account from its id (orgs are marked by the organization events)."""
    if account_id.startswith("SYSTEM_"):
        return "SYSTEM"
    if account_id.startswith("treasury_"):
        return "TREASURY"
    return "USER"


@dataclass(frozen=True, slots=True)
class Entry:
    """One history row: `amount` is what the account's balance moved by (signed Qirat)."""

    account_id: str
    kind: str  # SENT RECEIVED FEE GENESIS TAX LOAN_DISBURSEMENT LOAN_REPAYMENT ADJUSTMENT ...
    amount: int
    counterparty: str | None = None
    fee: int = 0
    remark: str | None = None


def post(conn: Conn, record: ChainRecord, entries: Iterable[Entry], *, tenant: str = "default") -> None:
    """Apply the balance effect of every entry and write the history rows, in two statements.

    Increments per account are summed first (one row per account in the upsert) and accounts are
    locked in id order, so concurrent projections cannot deadlock on one another.
    """
    rows = [e for e in entries if e.amount != 0 or e.fee != 0 or e.kind in _ALWAYS_RECORDED]
    deltas: dict[str, int] = defaultdict(int)
    for e in rows:
        deltas[e.account_id] += e.amount
        MONEY_ENTRIES.labels(e.kind).inc()
        MONEY_QIRAT.labels(e.kind).inc(abs(e.amount))
    # Rows travel as one JSON document each: psycopg's list dumpers scan every array to pick
    # an element type, which cost more than the statements themselves in the projector's profile.
    if deltas:
        conn.execute(
            "INSERT INTO rm_accounts (tenant_id, account_id, owner_type, balance)"
            " SELECT %s, a, o, d FROM jsonb_to_recordset(%s) AS t(a text, o text, d bigint)"
            " ORDER BY a"
            " ON CONFLICT (tenant_id, account_id) DO UPDATE"
            " SET balance = rm_accounts.balance + EXCLUDED.balance, updated_at = now()",
            (tenant, Jsonb([{"a": a, "o": owner_type_for(a), "d": deltas[a]}
                            for a in sorted(deltas)])),
        )
    if rows:
        conn.execute(
            "INSERT INTO rm_account_entries (tenant_id, tx_id, account_id, kind, counterparty,"
            " amount, fee, remark, block_number, tx_index, occurred_at)"
            " SELECT %s, %s, a, k, c, m, f, r, %s, %s, %s"
            " FROM jsonb_to_recordset(%s)"
            "   AS t(a text, k text, c text, m bigint, f bigint, r text)"
            " ON CONFLICT (tenant_id, tx_id, account_id, kind) DO NOTHING",
            (
                tenant, record.tx_id, record.block_number, record.tx_index, record.time,
                Jsonb([{"a": e.account_id, "k": e.kind, "c": e.counterparty, "m": e.amount,
                        "f": e.fee, "r": e.remark} for e in rows]),
            ),
        )


# A genesis of 0 (ineligible or quota exhausted) still belongs in the user's history.
_ALWAYS_RECORDED = frozenset({"GENESIS"})


def ensure(conn: Conn, account_id: str, owner_type: str | None = None, *, tenant: str = "default") -> None:
    """Make the account exist (a wallet with balance 0); set its owner type when given."""
    kind = owner_type or owner_type_for(account_id)
    if owner_type:
        conn.execute(
            "INSERT INTO rm_accounts (tenant_id, account_id, owner_type) VALUES (%s, %s, %s)"
            " ON CONFLICT (tenant_id, account_id) DO UPDATE SET owner_type = EXCLUDED.owner_type"
            " WHERE rm_accounts.owner_type IS DISTINCT FROM EXCLUDED.owner_type",
            (tenant, account_id, kind),
        )
    else:
        conn.execute(
            "INSERT INTO rm_accounts (tenant_id, account_id, owner_type) VALUES (%s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            (tenant, account_id, kind),
        )


def set_frozen(
    conn: Conn, record: ChainRecord, account_id: str, frozen: bool, reason: str | None,
    *, tenant: str = "default",
) -> None:
    """Freeze or unfreeze, unless a later event already decided (position guard)."""
    block, index = record.position
    conn.execute(
        "INSERT INTO rm_accounts (tenant_id, account_id, owner_type, frozen, frozen_reason,"
        " frozen_block, frozen_tx_index) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (tenant_id, account_id) DO UPDATE SET frozen = EXCLUDED.frozen,"
        " frozen_reason = EXCLUDED.frozen_reason, frozen_block = EXCLUDED.frozen_block,"
        " frozen_tx_index = EXCLUDED.frozen_tx_index, updated_at = now()"
        " WHERE rm_accounts.frozen_block IS NULL"
        "    OR (rm_accounts.frozen_block, rm_accounts.frozen_tx_index) < (EXCLUDED.frozen_block,"
        "        EXCLUDED.frozen_tx_index)",
        (tenant, account_id, owner_type_for(account_id), frozen, reason, block, index),
    )


def set_velocity_timer(
    conn: Conn, record: ChainRecord, account_id: str, timer_start: date | None,
    *, taxed: bool, tenant: str = "default",
) -> None:
    """The account's velocity-tax timer start (and last tax time), position-guarded."""
    block, index = record.position
    conn.execute(
        "INSERT INTO rm_accounts (tenant_id, account_id, owner_type, velocity_timer_start,"
        " velocity_last_tax_at, velocity_block, velocity_tx_index)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (tenant_id, account_id) DO UPDATE SET"
        " velocity_timer_start = EXCLUDED.velocity_timer_start,"
        " velocity_last_tax_at = COALESCE(EXCLUDED.velocity_last_tax_at,"
        "                                 rm_accounts.velocity_last_tax_at),"
        " velocity_block = EXCLUDED.velocity_block,"
        " velocity_tx_index = EXCLUDED.velocity_tx_index, updated_at = now()"
        " WHERE rm_accounts.velocity_block IS NULL"
        "    OR (rm_accounts.velocity_block, rm_accounts.velocity_tx_index)"
        "       < (EXCLUDED.velocity_block, EXCLUDED.velocity_tx_index)",
        (tenant, account_id, owner_type_for(account_id), timer_start,
         record.time if taxed else None, block, index),
    )


# --- queries -------------------------------------------------------------------------------


def _account_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "accountId": row["account_id"],
        "ownerType": row["owner_type"],
        "balance": str(row["balance"]),
        "isFrozen": row["frozen"],
        "frozenReason": row["frozen_reason"],
        "velocityTaxTimerStart": (
            row["velocity_timer_start"].isoformat() if row["velocity_timer_start"] else None
        ),
        "velocityTaxLastAppliedAt": (
            row["velocity_last_tax_at"].isoformat() if row["velocity_last_tax_at"] else None
        ),
        "updatedAt": row["updated_at"].isoformat(),
    }


_ACCOUNT_COLUMNS = (
    "a.account_id, a.owner_type, a.balance, a.frozen, a.frozen_reason, a.velocity_timer_start,"
    " a.velocity_last_tax_at, a.updated_at"
)


def get_account(account_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    """The projected account (balance as a string of Qirat), or None if the chain never named it."""
    row = db.fetch_one(
        f"SELECT {_ACCOUNT_COLUMNS} FROM rm_accounts a WHERE a.tenant_id = %s AND a.account_id = %s",
        (tenant, account_id),
    )
    return _account_json(row) if row else None


def balance_of(account_id: str, *, tenant: str = "default") -> int:
    """The projected balance in Qirat (0 for an account the chain never named)."""
    row = db.fetch_one(
        "SELECT balance FROM rm_accounts WHERE tenant_id = %s AND account_id = %s",
        (tenant, account_id),
    )
    return int(row["balance"]) if row else 0


def get_account_for_profile(profile_id: str, *, tenant: str = "default") -> dict[str, Any] | None:
    """The user's account through the profile's fabric user id; None before it is on chain."""
    row = db.fetch_one(
        f"SELECT {_ACCOUNT_COLUMNS}, p.profile_id FROM user_profiles p"
        " JOIN rm_accounts a ON a.tenant_id = p.tenant_id AND a.account_id = p.fabric_user_id"
        " WHERE p.tenant_id = %s AND p.profile_id::text = %s",
        (tenant, profile_id),
    )
    if row is None:
        return None
    return {**_account_json(row), "profileId": str(row["profile_id"])}


def decode_cursor(cursor: str) -> tuple[int, int, int]:
    """The (block, tx index, entry id) in a cursor; ValueError when it is not one of ours."""
    try:
        block, index, entry = (int(v) for v in pagination.decode(cursor, 3))
    except (ValidationFailed, ValueError) as exc:
        raise ValueError("invalid cursor") from exc
    return block, index, entry


def _entry_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "entryId": str(row["entry_id"]),
        "txId": row["tx_id"],
        "accountId": row["account_id"],
        "type": row["kind"],
        "counterparty": row["counterparty"],
        "amount": str(row["amount"]),
        "fee": str(row["fee"]),
        "remark": row["remark"],
        "blockNumber": str(row["block_number"]),
        "txIndex": row["tx_index"],
        "timestamp": row["occurred_at"].isoformat(),
    }


def history_page(
    account_id: str,
    *,
    limit: int = 20,
    after: str | None = None,
    before: str | None = None,
    tenant: str = "default",
) -> dict[str, Any]:
    """One page of an account's history, newest first.

    `after` continues towards older rows (the `next` cursor of the previous page); `before` goes
    back towards newer rows (its `prev` cursor). Keyset pagination: stable under inserts and
    O(page) at any depth. Raises ValueError for a bad cursor or both cursors at once.
    """
    if after and before:
        raise ValueError("give either 'after' or 'before', not both")
    limit = max(1, min(int(limit), MAX_PAGE))
    params: list[Any] = [tenant, account_id]
    where = ""
    direction: Literal["older", "newer"] = "older"
    if after:
        where = " AND (block_number, tx_index, entry_id) < (%s, %s, %s)"
        params.extend(decode_cursor(after))
    elif before:
        where = " AND (block_number, tx_index, entry_id) > (%s, %s, %s)"
        params.extend(decode_cursor(before))
        direction = "newer"
    order = "DESC" if direction == "older" else "ASC"
    params.append(limit + 1)
    rows = db.fetch_all(
        "SELECT entry_id, tx_id, account_id, kind, counterparty, amount, fee, remark,"
        " block_number, tx_index, occurred_at FROM rm_account_entries"
        " WHERE tenant_id = %s AND account_id = %s" + where
        + f" ORDER BY block_number {order}, tx_index {order}, entry_id {order} LIMIT %s",
        params,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    if direction == "newer":
        rows.reverse()
    has_older = more if direction == "older" else True
    has_newer = (after is not None) if direction == "older" else more
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    return {
        "items": [_entry_json(r) for r in rows],
        "next": pagination.encode(last["block_number"], last["tx_index"], last["entry_id"])
        if last and has_older else None,
        "prev": pagination.encode(first["block_number"], first["tx_index"], first["entry_id"])
        if first and has_newer else None,
    }
