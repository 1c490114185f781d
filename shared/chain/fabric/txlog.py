"""The nonce log: port tx id (the outbox's deterministic id) -> Fabric nonce and tx id.

Fabric derives a transaction id from a random nonce and the creator, so the outbox's id cannot be
the Fabric id. Before a proposal is built, its nonce is recorded here (write-ahead); every later
attempt of the same command reuses it and so carries the same Fabric tx id, which Fabric itself
refuses to apply twice (duplicate at endorsement, or DUPLICATE_TXID at validation). The nonce is
replaced only when reuse is impossible or pointless: the transaction was committed *invalid*
(its id is burned and it never applied), or the role's certificate was renewed and the earlier id
is known not to be committed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from shared import db
from shared.chain.fabric.identity import transaction_id
from shared.chain.fabric.protocol import new_nonce


@dataclass(frozen=True)
class Entry:
    tx_id: str
    nonce: bytes
    creator_hash: str
    fabric_tx_id: str
    state: str  # PREPARED (never sent to the orderer) | SUBMITTED (outcome unknown) | COMMITTED
    block_number: int | None


def creator_hash(creator: bytes) -> str:
    return hashlib.sha256(creator).hexdigest()


class TxLog:
    def __init__(self, dsn: str | None = None) -> None:
        self.dsn = dsn

    def get(self, tx_id: str) -> Entry | None:
        with db.connection(self.dsn) as conn:
            row = conn.execute(
                "SELECT tx_id, nonce, creator_hash, fabric_tx_id, state, block_number"
                " FROM fabric_transactions WHERE tx_id = %s", (tx_id,),
            ).fetchone()
        return _entry(row) if row else None

    def reserve(self, tx_id: str, creator: bytes) -> Entry:
        """The entry of `tx_id`, created with a fresh nonce for `creator` if there is none."""
        nonce = new_nonce()
        with db.connection(self.dsn) as conn:
            conn.execute(
                "INSERT INTO fabric_transactions (tx_id, nonce, creator_hash, fabric_tx_id)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (tx_id) DO NOTHING",
                (tx_id, nonce, creator_hash(creator), transaction_id(nonce, creator)),
            )
        entry = self.get(tx_id)
        assert entry is not None
        return entry

    def renew(self, tx_id: str, creator: bytes, *, expected_fabric_tx_id: str) -> Entry:
        """A fresh nonce for `tx_id` (its earlier Fabric id is burned or unusable)."""
        nonce = new_nonce()
        with db.connection(self.dsn) as conn:
            conn.execute(
                "UPDATE fabric_transactions SET nonce = %s, creator_hash = %s, fabric_tx_id = %s,"
                " state = 'PREPARED', block_number = NULL, updated_at = now()"
                " WHERE tx_id = %s AND fabric_tx_id = %s",
                (nonce, creator_hash(creator), transaction_id(nonce, creator), tx_id,
                 expected_fabric_tx_id),
            )
        entry = self.get(tx_id)
        assert entry is not None
        return entry

    def mark(self, tx_id: str, fabric_tx_id: str, state: str, block_number: int | None = None) -> None:
        with db.connection(self.dsn) as conn:
            conn.execute(
                "UPDATE fabric_transactions SET state = %s,"
                " block_number = COALESCE(%s, block_number), updated_at = now()"
                " WHERE tx_id = %s AND fabric_tx_id = %s AND state <> 'COMMITTED'",
                (state, block_number, tx_id, fabric_tx_id),
            )


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(
        tx_id=str(row["tx_id"]), nonce=bytes(row["nonce"]),
        creator_hash=str(row["creator_hash"]), fabric_tx_id=str(row["fabric_tx_id"]),
        state=str(row["state"]),
        block_number=None if row["block_number"] is None else int(row["block_number"]),
    )
