"""`EmbeddedLedger`: the ledger port over PostgreSQL, with Fabric's transaction semantics.

How a block is made (`submit_batch`):
1. One PostgreSQL transaction takes the row lock on `chain_head` (the only writer lock; readers
   never take it), so blocks and the transactions inside them form one total order.
2. Transaction ids already committed (or repeated earlier in the batch) answer
   `DuplicateTransaction` and run nothing.
3. Each remaining transaction runs its chaincode function against a `TxStub` whose writes are
   buffered; reads see the committed state plus the writes of the transactions before it in the
   same block. A `RuleViolation` (or a chaincode bug) discards that transaction's buffer only and
   answers `BusinessRejection`: like an endorsement failure on Fabric it never reaches the orderer,
   so it records nothing and does NOT consume its transaction id (the same command may be retried
   once the cause is gone, and it can still never apply twice).
4. The successful transactions' writes, history rows and transaction records (with their single
   event) are written in bulk, the block row is added and the head advanced; one COMMIT. Any
   database failure rolls the whole block back and raises `TransientFailure`: nothing of it exists.

The block timestamp (what `get_tx_timestamp` returns) comes from `clock` and never goes backwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

import events as event_contracts
from shared.chain.embedded import framework, storage
from shared.chain.embedded.framework import KEY_SEP
from shared.chain.port import (
    BusinessRejection,
    ChainError,
    ChainEvent,
    Committed,
    DuplicateTransaction,
    ServiceIdentity,
    Submission,
    TransientFailure,
)
from shared.db import RECONNECT_WINDOW_S
from shared.db.errors import DatabaseError, DatabaseUnavailable
from shared.domain.errors import RuleViolation
from shared.observability import get_logger

_ABSENT = object()  # cache marker: the key is known not to exist
_KEY_END = "\U0010ffff"


def _load(text: str | None) -> Any:
    # State is buffered as JSON text: every read parses a fresh copy (callers mutate what they
    # read, and the block cache must stay untouched), and the text is what the database stores.
    return None if text is None else json.loads(text)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def composite_key(kind: str, *parts: str) -> str:
    for part in (kind, *parts):
        if KEY_SEP in part:
            raise RuleViolation("key parts may not contain U+001F", code="INVALID_ARGUMENT")
    return KEY_SEP.join((kind, *parts))


def composite_prefix(kind: str, *parts: str) -> str:
    return composite_key(kind, *parts) + KEY_SEP


class _BlockState:
    """What one block (one writer transaction) has read and written so far."""

    def __init__(self, conn: psycopg.Connection[Any] | None, tables: Mapping[str, sql.Composable]):
        self.conn = conn
        self.tables = tables
        self.cache: dict[str, Any] = {}  # key -> committed JSON text or _ABSENT
        self.writes: dict[str, str | None] = {}  # key -> JSON text, or None for a delete
        self.history: list[tuple[str, int, int, str, str | None]] = []
        # Composed once per block, not per read: each transaction reads several keys.
        self._read_sql = sql.SQL("SELECT value::text AS value FROM {} WHERE key = %s").format(
            tables["state"]).as_string(conn) if conn is not None else ""
        self._prefetch_sql = sql.SQL(
            "SELECT key, value::text AS value FROM {} WHERE key = ANY(%s)").format(tables["state"])

    def read(self, key: str) -> Any:
        if key in self.writes:
            return _load(self.writes[key])
        if key in self.cache:
            cached = self.cache[key]
            return None if cached is _ABSENT else _load(cached)
        assert self.conn is not None
        row = self.conn.execute(self._read_sql, (key,)).fetchone()
        text = row["value"] if row else None
        self.cache[key] = _ABSENT if text is None else text
        return _load(text)

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read the committed values of `keys` not yet known into the cache, in one query."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self.cache and k not in self.writes]
        if not wanted or self.conn is None:
            return
        found = {r["key"]: r["value"]
                 for r in self.conn.execute(self._prefetch_sql, (wanted,)).fetchall()}
        for key in wanted:
            text = found.get(key)
            self.cache[key] = _ABSENT if text is None else text

    def read_range(self, start: str, end: str) -> dict[str, Any]:
        assert self.conn is not None
        rows = self.conn.execute(
            sql.SQL("SELECT key, value FROM {} WHERE key >= %s AND key < %s ORDER BY key").format(
                self.tables["state"]
            ),
            (start, end),
        ).fetchall()
        found = {r["key"]: r["value"] for r in rows}
        for key, text in self.writes.items():
            if start <= key < end:
                found[key] = _load(text)
        return found


    def history_of(self, key: str, limit: int) -> list[dict[str, Any]]:
        assert self.conn is not None
        rows = self.conn.execute(
            sql.SQL(
                "SELECT h.tx_id, h.block_number, h.tx_index, h.value, b.created_at FROM {} h"
                " JOIN {} b ON b.number = h.block_number WHERE h.key = %s"
                " ORDER BY h.block_number DESC, h.tx_index DESC LIMIT %s"
            ).format(self.tables["key_history"], self.tables["blocks"]),
            (key, limit),
        ).fetchall()
        return [
            {"txID": r["tx_id"], "blockNumber": r["block_number"], "txIndex": r["tx_index"],
             "timestamp": r["created_at"].isoformat(), "value": r["value"],
             "isDelete": r["value"] is None}
            for r in rows
        ]


class TxStub:
    """One transaction's view of the world (implements `framework.Stub`)."""

    def __init__(
        self,
        block: _BlockState,
        *,
        tx_id: str,
        identity: ServiceIdentity,
        timestamp: datetime,
        block_number: int,
        tx_index: int,
        read_only: bool = False,
    ) -> None:
        self._block = block
        self._writes: dict[str, Any] = {}
        self._tx_id = tx_id
        self._identity = identity
        self._timestamp = timestamp
        self._block_number = block_number
        self._tx_index = tx_index
        self._read_only = read_only
        self.event: tuple[str, dict[str, Any]] | None = None

    # --- transaction context ---------------------------------------------------------------
    @property
    def tx_id(self) -> str:
        return self._tx_id

    @property
    def tx_timestamp(self) -> datetime:
        return self._timestamp

    @property
    def identity(self) -> ServiceIdentity:
        return self._identity

    @property
    def block_number(self) -> int:
        return self._block_number

    @property
    def tx_index(self) -> int:
        return self._tx_index

    # --- state -----------------------------------------------------------------------------
    def get_json(self, key: str) -> Any:
        if key in self._writes:
            return _load(self._writes[key])
        return self._block.read(key)

    def put_json(self, key: str, value: Any) -> None:
        if self._read_only:
            raise RuleViolation("a query cannot write state", code="READ_ONLY")
        if value is None:
            raise RuleViolation("state values cannot be null; use del_state", code="INVALID_ARGUMENT")
        # A JSON round trip copies the value (callers may keep mutating theirs) and proves it
        # serialisable before commit time.
        self._writes[key] = json.dumps(value, separators=(",", ":"))

    def del_state(self, key: str) -> None:
        if self._read_only:
            raise RuleViolation("a query cannot write state", code="READ_ONLY")
        self._writes[key] = None

    def get_by_range(self, start: str, end: str) -> Iterator[tuple[str, Any]]:
        found = self._block.read_range(start, end)
        for key, text in self._writes.items():
            if start <= key < end:
                found[key] = _load(text)
        for key in sorted(found):
            if found[key] is not None:
                yield key, found[key]

    def get_by_prefix(self, prefix: str) -> Iterator[tuple[str, Any]]:
        return self.get_by_range(prefix, prefix + _KEY_END)

    def get_history_for_key(self, key: str, limit: int = 1000) -> list[dict[str, Any]]:
        """Committed writes of `key`, newest first (Fabric's GetHistoryForKey)."""
        return self._block.history_of(key, limit)

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        writes, event = dict(self._writes), self.event  # buffered values are immutable JSON text
        try:
            yield
        except RuleViolation:
            self._writes, self.event = writes, event
            raise

    def key(self, kind: str, *parts: str) -> str:
        return composite_key(kind, *parts)

    def key_prefix(self, kind: str, *parts: str) -> str:
        return composite_prefix(kind, *parts)

    # --- events and calls ------------------------------------------------------------------
    def set_event(self, name: str, payload: dict[str, Any]) -> None:
        self.event = (name, json.loads(json.dumps(payload)))

    def invoke(self, contract: str, function: str, *args: str) -> Any:
        fn = framework.lookup(contract, function)
        fn.check_arity(args)
        return fn.impl(self, *args)

    @property
    def writes(self) -> dict[str, Any]:
        return self._writes


class EmbeddedLedger:
    """The GX chain in PostgreSQL: implements `shared.chain.port.LedgerPort`."""

    def __init__(
        self,
        dsn: str,
        schema: str = "ledger",
        *,
        clock: Callable[[], datetime] = _utcnow,
        validate_events: bool = True,
        pool_size: int = 4,
        pool_timeout: float = 10.0,
        statement_timeout_ms: int = 15_000,
    ) -> None:
        self.dsn = dsn
        self.schema = schema
        self.clock = clock
        self.validate_events = validate_events
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.statement_timeout_ms = int(statement_timeout_ms)
        self._ready = False
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._pool_pid = 0
        ident = sql.Identifier(schema)
        self._t = {
            name: sql.SQL("{}.{}").format(ident, sql.Identifier(name))
            for name in ("chain_head", "blocks", "transactions", "state", "key_history")
        }

    @classmethod
    def from_settings(cls) -> EmbeddedLedger:
        from shared.config import get_settings

        settings = get_settings()
        return cls(
            settings.ledger_dsn, settings.ledger_schema, pool_size=settings.db_pool_max,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )

    # --- plumbing --------------------------------------------------------------------------
    def _get_pool(self) -> ConnectionPool:
        # Its own pool, like a peer's own state DB connections; re-created after a fork because a
        # pool inherited across fork() shares sockets with the parent.
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ConnectionPool(
                    self.dsn, min_size=1, max_size=max(1, self.pool_size),
                    kwargs={"row_factory": dict_row, "autocommit": True},
                    open=False, name=f"gx-ledger-{self.schema}", timeout=self.pool_timeout,
                    configure=self._configure, reconnect_timeout=RECONNECT_WINDOW_S,
                )
                self._pool.open(wait=False)
                self._pool_pid = os.getpid()
                self._ready = False
            return self._pool

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        # A stuck writer must not hold callers forever: a wait beyond this is a TransientFailure.
        conn.execute(f"SET statement_timeout = {self.statement_timeout_ms}")

    @contextlib.contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        pool = self._get_pool()
        try:
            with pool.connection() as conn:
                if not self._ready:
                    storage.ensure_schema(conn, self.schema)
                    self._ready = True
                yield conn
        except PoolTimeout as exc:
            raise DatabaseUnavailable("ledger database unreachable") from exc

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def drop(self) -> None:
        """Delete this ledger's schema and everything in it (tests only), then close the pool."""
        with self._conn() as conn:
            storage.drop_schema(conn, self.schema)
        self._ready = False
        self.close()

    # --- writes ----------------------------------------------------------------------------
    def submit(self, submission: Submission) -> Committed:
        (outcome,) = self.submit_batch([submission])
        if isinstance(outcome, ChainError):
            raise outcome
        return outcome

    def submit_batch(self, submissions: Sequence[Submission]) -> list[Committed | ChainError]:
        if not submissions:
            return []
        try:
            with self._conn() as conn, conn.transaction():
                return self._make_block(conn, submissions)
        except (DatabaseUnavailable, DatabaseError, psycopg.Error) as exc:
            raise TransientFailure("LEDGER_UNAVAILABLE", f"block not committed: {exc}") from exc

    def _make_block(
        self, conn: psycopg.Connection[Any], submissions: Sequence[Submission]
    ) -> list[Committed | ChainError]:
        t = self._t
        head = conn.execute(
            sql.SQL("SELECT height, last_time FROM {} WHERE id = 1 FOR UPDATE").format(t["chain_head"])
        ).fetchone()
        assert head is not None
        number = int(head["height"]) + 1
        timestamp = self.clock()
        if head["last_time"] is not None and timestamp < head["last_time"]:
            timestamp = head["last_time"]  # block time never goes backwards
        ids = [s.tx_id for s in submissions]
        seen = {
            r["tx_id"]
            for r in conn.execute(
                sql.SQL("SELECT tx_id FROM {} WHERE tx_id = ANY(%s)").format(t["transactions"]), (ids,)
            ).fetchall()
        }
        block = _BlockState(conn, t)
        block.prefetch(_hinted_keys(s for s in submissions if s.tx_id not in seen))
        outcomes: list[Committed | ChainError] = []
        records: list[tuple[Any, ...]] = []
        for sub in submissions:
            if sub.tx_id in seen:
                outcomes.append(DuplicateTransaction(sub.tx_id))
                continue
            index = len(records)
            try:
                stub = TxStub(
                    block, tx_id=sub.tx_id, identity=_identity(sub.identity),
                    timestamp=timestamp, block_number=number, tx_index=index,
                )
                result_text = self._execute(stub, sub)
            except BusinessRejection as rejection:
                outcomes.append(rejection)
                continue
            seen.add(sub.tx_id)
            assert stub.event is not None
            for key, value in stub.writes.items():
                block.writes[key] = value
                block.history.append((key, number, index, sub.tx_id, value))
            name, payload = stub.event
            records.append(
                (sub.tx_id, number, index, sub.contract, sub.function, json.dumps(list(sub.args)),
                 stub.identity.value, result_text, name, json.dumps(payload))
            )
            outcomes.append(
                Committed(
                    tx_id=sub.tx_id, block_number=number, tx_index=index,
                    result=json.loads(result_text),
                    event=ChainEvent(number, index, sub.tx_id, name, payload, timestamp),
                    timestamp=timestamp,
                )
            )
        if not records:
            return outcomes  # nothing valid: no block is cut (Fabric never orders rejections)
        conn.execute(
            sql.SQL("INSERT INTO {} (number, created_at, tx_count) VALUES (%s, %s, %s)").format(t["blocks"]),
            (number, timestamp, len(records)),
        )
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {} (tx_id, block_number, tx_index, contract, function, args,"
                    " identity, result, event_name, event_payload) VALUES"
                    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                ).format(t["transactions"]),
                records,
            )
            last_writer = {key: (n, i) for key, n, i, _, _ in block.history}
            upserts = [
                (key, text, *last_writer[key])
                for key, text in block.writes.items() if text is not None
            ]
            deletes = [(key,) for key, text in block.writes.items() if text is None]
            if upserts:
                cur.executemany(
                    sql.SQL(
                        "INSERT INTO {} (key, value, block_number, tx_index) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,"
                        " block_number = EXCLUDED.block_number, tx_index = EXCLUDED.tx_index"
                    ).format(t["state"]),
                    upserts,
                )
            if deletes:
                cur.executemany(sql.SQL("DELETE FROM {} WHERE key = %s").format(t["state"]), deletes)
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {} (key, block_number, tx_index, tx_id, value) VALUES (%s, %s, %s, %s, %s)"
                ).format(t["key_history"]),
                block.history,
            )
        conn.execute(
            sql.SQL("UPDATE {} SET height = %s, last_time = %s WHERE id = 1").format(t["chain_head"]),
            (number, timestamp),
        )
        return outcomes

    def _execute(self, stub: TxStub, sub: Submission) -> str:
        """Run one transaction's chaincode: its result as JSON text, or BusinessRejection."""
        try:
            fn = framework.lookup(sub.contract, sub.function)
            args = tuple(sub.args)
            if fn.query:
                raise RuleViolation(f"{fn.name} is a query; evaluate it", code="NOT_SUBMITTABLE")
            fn.check_arity(args)
            fn.check_role(stub.identity)
            if fn.pausable:
                _check_not_paused(stub)
            result = fn.impl(stub, *args)
            if stub.event is None:
                raise RuleViolation(f"{fn.name} committed no event", code=framework.CHAINCODE_ERROR)
            if self.validate_events:
                self._check_event(*stub.event)
            return json.dumps(result)
        except RuleViolation as exc:
            raise BusinessRejection(exc.code, exc.message) from exc
        except (DatabaseUnavailable, DatabaseError, psycopg.Error):
            raise  # infrastructure, not the chaincode: the whole block fails transiently
        except Exception as exc:  # a chaincode bug: deterministic, so not worth retrying
            get_logger(__name__).exception("chaincode.error", contract=sub.contract, function=sub.function,
                          tx_id=sub.tx_id)
            raise BusinessRejection(
                framework.CHAINCODE_ERROR, f"{sub.contract}:{sub.function} failed: {type(exc).__name__}"
            ) from exc

    @staticmethod
    def _check_event(name: str, payload: dict[str, Any]) -> None:
        try:
            problems = event_contracts.validation_errors(name, payload)
        except event_contracts.UnknownEvent:
            raise RuleViolation(f"event {name} has no schema", code=framework.INVALID_EVENT) from None
        if problems:
            raise RuleViolation(
                f"event {name} does not match its schema: {'; '.join(problems)}",
                code=framework.INVALID_EVENT,
            )

    # --- reads (never take the writer lock) ------------------------------------------------
    def evaluate(
        self, contract: str, function: str, args: Sequence[str],
        identity: ServiceIdentity = ServiceIdentity.PARTNER_API,
    ) -> Any:
        try:
            with self._conn() as conn, conn.transaction():
                # A repeatable-read snapshot: a query sees one consistent state, not a mix of blocks.
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                head = conn.execute(
                    sql.SQL("SELECT height, last_time FROM {} WHERE id = 1").format(self._t["chain_head"])
                ).fetchone()
                stub = TxStub(
                    _BlockState(conn, self._t), tx_id="", identity=_identity(identity),
                    timestamp=max(self.clock(), head["last_time"]) if head and head["last_time"] else self.clock(),
                    block_number=int(head["height"]) if head else 0, tx_index=0, read_only=True,
                )
                try:
                    fn = framework.lookup(contract, function)
                    fn.check_arity(tuple(args))
                    fn.check_role(stub.identity)
                    if not fn.query:
                        raise RuleViolation(f"{fn.name} changes state; submit it", code="NOT_A_QUERY")
                    return fn.impl(stub, *args)
                except RuleViolation as exc:
                    raise BusinessRejection(exc.code, exc.message) from exc
        except (DatabaseUnavailable, DatabaseError, psycopg.Error) as exc:
            raise TransientFailure("LEDGER_UNAVAILABLE", f"query failed: {exc}") from exc

    def transaction(self, tx_id: str) -> Committed | None:
        try:
            with self._conn() as conn:
                row = conn.execute(
                    sql.SQL(
                        "SELECT t.*, b.created_at FROM {} t JOIN {} b ON b.number = t.block_number"
                        " WHERE t.tx_id = %s"
                    ).format(self._t["transactions"], self._t["blocks"]),
                    (tx_id,),
                ).fetchone()
        except (DatabaseUnavailable, DatabaseError, psycopg.Error) as exc:
            raise TransientFailure("LEDGER_UNAVAILABLE", f"lookup failed: {exc}") from exc
        if row is None:
            return None
        event = _event(row)
        return Committed(
            tx_id=row["tx_id"], block_number=row["block_number"], tx_index=row["tx_index"],
            result=row["result"], event=event, timestamp=row["created_at"],
        )

    def events(self, after: tuple[int, int] | None = None, limit: int = 500) -> Iterator[ChainEvent]:
        block, index = after if after is not None else (0, -1)
        try:
            with self._conn() as conn:
                rows = conn.execute(
                    sql.SQL(
                        "SELECT t.tx_id, t.block_number, t.tx_index, t.event_name, t.event_payload,"
                        " b.created_at FROM {} t JOIN {} b ON b.number = t.block_number"
                        " WHERE (t.block_number, t.tx_index) > (%s, %s)"
                        " ORDER BY t.block_number, t.tx_index LIMIT %s"
                    ).format(self._t["transactions"], self._t["blocks"]),
                    (block, index, max(0, limit)),
                ).fetchall()
        except (DatabaseUnavailable, DatabaseError, psycopg.Error) as exc:
            raise TransientFailure("LEDGER_UNAVAILABLE", f"event read failed: {exc}") from exc
        return iter([_event(r) for r in rows])

    def height(self) -> int:
        try:
            with self._conn() as conn:
                row = conn.execute(
                    sql.SQL("SELECT height FROM {} WHERE id = 1").format(self._t["chain_head"])
                ).fetchone()
        except (DatabaseUnavailable, DatabaseError, psycopg.Error) as exc:
            raise TransientFailure("LEDGER_UNAVAILABLE", f"height read failed: {exc}") from exc
        return int(row["height"]) if row else 0

    def state(self, key: str) -> Any:
        """The committed value of one world-state key (operators and tests; not for the backend)."""
        with self._conn() as conn:
            return _BlockState(conn, self._t).read(key)

    def state_by_prefix(self, prefix: str) -> dict[str, Any]:
        with self._conn() as conn:
            return _BlockState(conn, self._t).read_range(prefix, prefix + _KEY_END)


class _Keys:
    """What a chaincode function's prefetch hint gets: the stub's key builders, no state."""

    key = staticmethod(composite_key)
    key_prefix = staticmethod(composite_prefix)


def _hinted_keys(submissions: Iterable[Submission]) -> list[str]:
    """The state keys the block's transactions say they will read (framework.chaincode's
    `prefetch`). A hint that fails is ignored: the transaction still runs and reads as usual."""
    keys: list[str] = []
    for sub in submissions:
        try:
            hint = framework.lookup(sub.contract, sub.function).prefetch
            if hint is not None:
                # Arguments are not validated yet: a key PostgreSQL cannot hold must not fail
                # the whole block (the transaction itself rejects such an argument).
                keys.extend(k for k in hint(_Keys, *sub.args)
                            if isinstance(k, str) and "\x00" not in k)
        except Exception:  # noqa: BLE001, S112 - a hint is an optimisation, never a verdict
            continue
    return keys


def _event(row: dict[str, Any]) -> ChainEvent:
    return ChainEvent(
        block_number=row["block_number"], tx_index=row["tx_index"], tx_id=row["tx_id"],
        name=row["event_name"], payload=row["event_payload"], timestamp=row["created_at"],
    )


def _identity(value: Any) -> ServiceIdentity:
    try:
        return ServiceIdentity(value)
    except ValueError:
        raise BusinessRejection("NOT_AUTHORIZED", f"unknown identity {value!r}") from None


def _check_not_paused(stub: TxStub) -> None:
    # Imported here: ledger_ops imports the framework, which this module imports too.
    from shared.chain.embedded import ledger_ops

    ledger_ops.require_not_paused(stub)
