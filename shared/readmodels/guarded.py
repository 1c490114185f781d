"""Position-guarded upserts: the one way projectors write state that transitions.

Every state row carries the chain position (block, tx index) of the event that last set its
state. An upsert from an event
- creates the row from what the event carries when it does not exist yet (an approval or an
  execution may arrive before the creation: the row is built, not refused);
- fills in `facts` (values that never change once known: ids, amounts, creation times) only
  where they are still missing, whatever the order;
- replaces `state` (status, reason, ...) only when the event is newer than the stored position.
So the final row is the same for any delivery order and any number of duplicates.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from shared.events.cloudevent import ChainRecord


@functools.cache
def _statement(
    table: str, keys: tuple[str, ...], facts: tuple[str, ...], state: tuple[str, ...],
    block_col: str, index_col: str,
) -> sql.Composed:
    t = sql.Identifier(table)
    columns = [*keys, *facts, *state, block_col, index_col]
    newer = sql.SQL("({t}.{b}, {t}.{i}) < (EXCLUDED.{b}, EXCLUDED.{i})").format(
        t=t, b=sql.Identifier(block_col), i=sql.Identifier(index_col)
    )
    sets = [
        sql.SQL("{c} = COALESCE({t}.{c}, EXCLUDED.{c})").format(c=sql.Identifier(c), t=t)
        for c in facts
    ]
    sets += [
        sql.SQL("{c} = CASE WHEN {newer} THEN EXCLUDED.{c} ELSE {t}.{c} END").format(
            c=sql.Identifier(c), t=t, newer=newer
        )
        for c in (*state, block_col, index_col)
    ]
    return sql.SQL(
        "INSERT INTO {t} ({cols}) VALUES ({vals}) ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    ).format(
        t=t,
        cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
        vals=sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
        sets=sql.SQL(", ").join(sets),
    )


def upsert(
    conn: psycopg.Connection[Any],
    table: str,
    record: ChainRecord,
    *,
    keys: Mapping[str, Any],
    facts: Mapping[str, Any] | None = None,
    state: Mapping[str, Any] | None = None,
    block_col: str = "status_block",
    index_col: str = "status_tx_index",
) -> None:
    facts = facts or {}
    state = state or {}
    # State columns must be written in the same order as the statement was composed.
    statement = _statement(table, tuple(keys), tuple(facts), tuple(state), block_col, index_col)
    conn.execute(
        statement,
        [*keys.values(), *facts.values(), *state.values(), record.block_number, record.tx_index],
    )
