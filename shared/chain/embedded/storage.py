"""The embedded ledger's tables, in a PostgreSQL schema of their own.

Like a Fabric peer's state database, this is a separate component: the backend's migrations never
touch it and the read side never queries it. Tables are created idempotently on first use under an
advisory lock, so any number of processes may start at once.

- `chain_head`: one row; its row lock serialises writers (one block at a time, one total order).
- `blocks`: numbered from 1, with the block timestamp every transaction in it sees.
- `transactions`: one row per committed transaction, its position (block, index), call, result
  and its single chaincode event. `tx_id` is the primary key, so a duplicate can never commit.
- `state`: world state, text key -> jsonb value (collation "C", so range scans follow code point
  order like the Python code that merges buffered writes).
- `key_history`: every write of every key (Fabric's history database), for history queries.
"""

from __future__ import annotations

import zlib
from typing import Any

import psycopg
from psycopg import sql

DDL = """
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.chain_head (
    id         smallint PRIMARY KEY CHECK (id = 1),
    height     bigint NOT NULL,
    last_time  timestamptz
);
INSERT INTO {schema}.chain_head (id, height) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
CREATE TABLE IF NOT EXISTS {schema}.blocks (
    number     bigint PRIMARY KEY,
    created_at timestamptz NOT NULL,
    tx_count   integer NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.transactions (
    tx_id           text PRIMARY KEY,
    block_number    bigint NOT NULL REFERENCES {schema}.blocks (number),
    tx_index        integer NOT NULL,
    contract        text NOT NULL,
    function        text NOT NULL,
    args            jsonb NOT NULL,
    identity        text NOT NULL,
    result          jsonb,
    event_name      text NOT NULL,
    event_payload   jsonb NOT NULL,
    validation_code text NOT NULL DEFAULT 'VALID',
    UNIQUE (block_number, tx_index)
);
CREATE TABLE IF NOT EXISTS {schema}.state (
    key          text COLLATE "C" PRIMARY KEY,
    value        jsonb NOT NULL,
    block_number bigint NOT NULL,
    tx_index     integer NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.key_history (
    key          text COLLATE "C" NOT NULL,
    block_number bigint NOT NULL,
    tx_index     integer NOT NULL,
    tx_id        text NOT NULL,
    value        jsonb,
    PRIMARY KEY (key, block_number, tx_index)
);
"""


def ensure_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Create the ledger's schema and tables if missing (safe to run concurrently)."""
    lock_key = zlib.crc32(f"gx-ledger:{schema}".encode())
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
        for statement in DDL.split(";\n"):
            if statement.strip():
                conn.execute(sql.SQL(statement).format(schema=sql.Identifier(schema)))


def drop_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Remove a ledger entirely (tests clean up their own ledgers with this)."""
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
