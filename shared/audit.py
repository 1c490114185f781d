"""The audit trail: who did what, when, to which target, with the values before and after.

Rows form a gap-free, hash-chained sequence (`seq` 1, 2, 3 ...). Each row's `event_hash` is
SHA-256 over the previous row's hash and every other column of the row (seq, audit_id, tenant,
event type, actor, target, before, after, metadata, created_at, hash_version), so editing any
field, deleting or inserting a row breaks the chain from there on (`verify`). The table refuses
UPDATE, DELETE and TRUNCATE (migration 0007); an edit by someone who can switch that off shows up
here. Cutting rows off the end leaves a valid shorter chain, so the head (seq, hash) is anchored
outside the database every few minutes (`anchor`, one S3 object per anchor) and `verify` checks
that every anchored head is still in the table.

Writes are serialised by a transaction-level advisory lock, which is cheap because audited actions
are staff-rate, and each row is written on the caller's transaction, so an action and its audit
record commit together or not at all. Which calls write a record is decided by their contracts
(`shared.audit_calls`), not by each handler.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from shared.config import get_settings
from shared.observability import get_logger

log = get_logger(__name__)

_CHAIN_LOCK = 0x6778_6175  # "gxau"
HASH_VERSION = 2
#: What a version-2 hash covers: every column of audit_log but `event_hash`. A test compares this
#: with the table, so a new column cannot silently stay outside the chain.
HASHED_COLUMNS = (
    "seq", "audit_id", "tenant_id", "event_type", "actor_id", "actor_role", "target_type",
    "target_id", "previous_value", "new_value", "metadata", "created_at", "hash_version",
)
# Version-1 rows (before migration 0007) hashed only their content.
_V1_COLUMNS = (
    "event_type", "actor_id", "actor_role", "target_type", "target_id", "previous_value",
    "new_value", "metadata",
)
_PAGE = 1000


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data, exactly as jsonb gives it back, so the hash of what is written
    equals the hash of what is read."""
    if value is None:
        return None
    return _as_jsonb(json.loads(json.dumps(value, default=_default)))


def _as_jsonb(value: Any) -> Any:
    # jsonb keeps numbers as numeric: 1e16 comes back as the integer 10000000000000000, and
    # -0.0 as 0.0. Everything else survives the round trip as it is.
    if isinstance(value, float):
        if value == 0:
            return 0.0
        return int(value) if abs(value) >= 1e16 else value
    if isinstance(value, dict):
        return {k: _as_jsonb(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_jsonb(v) for v in value]
    return value


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_default)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _digest_v2(previous: str, row: dict[str, Any]) -> str:
    fields = {k: row[k] for k in HASHED_COLUMNS}
    fields["audit_id"] = str(fields["audit_id"])
    fields["created_at"] = _utc(fields["created_at"])
    return hashlib.sha256(f"{previous}|{_canonical(fields)}".encode()).hexdigest()


def _digest_v1(previous: str, row: dict[str, Any]) -> str:
    fields = {k: row[k] for k in _V1_COLUMNS}
    fields["metadata"] = fields["metadata"] or {}
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous}|{body}".encode()).hexdigest()


def _digest(previous: str, row: dict[str, Any]) -> str:
    return (_digest_v1 if row["hash_version"] == 1 else _digest_v2)(previous, row)


def _dict(row: Any, columns: Iterable[str]) -> dict[str, Any]:
    return row if isinstance(row, dict) else dict(zip(columns, row, strict=True))


def record(
    conn: psycopg.Connection[Any],
    *,
    event_type: str,
    actor_id: str | None,
    actor_role: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    before: Any = None,
    after: Any = None,
    metadata: dict[str, Any] | None = None,
) -> str:
    """Append one audit row on `conn`'s open transaction; its hash."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CHAIN_LOCK,))
    # A statement of its own after the lock: its snapshot sees the previous holder's commit.
    last = _dict(conn.execute(
        "SELECT h.seq, h.event_hash, clock_timestamp() AS now FROM (SELECT 1) one"
        " LEFT JOIN (SELECT seq, event_hash FROM audit_log ORDER BY seq DESC LIMIT 1) h ON true"
    ).fetchone(), ("seq", "event_hash", "now"))
    row = {
        "seq": (last["seq"] or 0) + 1,
        "audit_id": str(uuid.uuid4()),
        "tenant_id": get_settings().tenant,
        "event_type": event_type,
        "actor_id": actor_id,
        "actor_role": actor_role,
        "target_type": target_type,
        "target_id": target_id,
        "previous_value": jsonable(before),
        "new_value": jsonable(after),
        "metadata": jsonable(metadata) or {},
        "created_at": last["now"],
        "hash_version": HASH_VERSION,
    }
    row["event_hash"] = _digest_v2(last["event_hash"] or "", row)
    conn.execute(
        "INSERT INTO audit_log (seq, audit_id, tenant_id, event_type, actor_id, actor_role,"
        " target_type, target_id, previous_value, new_value, metadata, created_at, hash_version,"
        " event_hash) VALUES (%(seq)s, %(audit_id)s, %(tenant_id)s, %(event_type)s,"
        " %(actor_id)s, %(actor_role)s, %(target_type)s, %(target_id)s, %(previous_value)s,"
        " %(new_value)s, %(metadata)s, %(created_at)s, %(hash_version)s, %(event_hash)s)",
        {
            **row,
            "previous_value": None if row["previous_value"] is None else Jsonb(row["previous_value"]),
            "new_value": None if row["new_value"] is None else Jsonb(row["new_value"]),
            "metadata": Jsonb(row["metadata"]),
        },
    )
    return str(row["event_hash"])


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A chain head recorded outside the database: the row `seq` had hash `event_hash`."""

    seq: int
    event_hash: str
    key: str = ""


@dataclass
class Verification:
    rows: int = 0
    head: Anchor | None = None
    anchors: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "rows": self.rows, "anchorsChecked": self.anchors,
            "headSeq": self.head.seq if self.head else None,
            "headHash": self.head.event_hash if self.head else None,
            "problems": self.problems,
        }


def _rows(conn: psycopg.Connection[Any]) -> Iterator[dict[str, Any]]:
    columns = (*HASHED_COLUMNS, "event_hash")
    select = f"SELECT {', '.join(columns)} FROM audit_log WHERE seq > %s ORDER BY seq LIMIT %s"
    after = 0
    while True:
        page = conn.execute(select, (after, _PAGE)).fetchall()
        for raw in page:
            yield _dict(raw, columns)
        if len(page) < _PAGE:
            return
        after = _dict(page[-1], columns)["seq"]


def verify(conn: psycopg.Connection[Any], anchors: Iterable[Anchor] = ()) -> Verification:
    """Check the whole chain: numbering without gaps from 1, every row's hash, and that every
    anchored head is still in the table with the hash it had (rows cut off the end, or the chain
    rewritten up to an anchor, fail here). Stops at the first broken row."""
    result = Verification()
    expected = {a.seq: a for a in anchors}
    result.anchors = len(expected)
    previous, seq = "", 0
    for row in _rows(conn):
        seq += 1
        if row["seq"] != seq:
            result.problems.append(f"seq {seq}: missing (the next row is seq {row['seq']})")
            return result
        if _digest(previous, row) != row["event_hash"]:
            result.problems.append(f"seq {seq}: hash does not match the row's content and its"
                                   " predecessor (edited, inserted or reordered)")
            return result
        anchored = expected.pop(seq, None)
        if anchored is not None and anchored.event_hash != row["event_hash"]:
            result.problems.append(f"seq {seq}: differs from anchor {anchored.key or seq}"
                                   " (the chain was rewritten)")
            return result
        previous = row["event_hash"]
        result.rows = seq
        result.head = Anchor(seq, previous)
    for anchored in sorted(expected.values(), key=lambda a: a.seq):
        result.problems.append(f"seq {anchored.seq}: anchored ({anchored.key or 'anchor'}) but"
                               f" the table ends at seq {seq} (rows cut off the end)")
    return result


def verify_chain(conn: psycopg.Connection[Any]) -> bool:
    """True when every row's hash matches its content and its predecessor (anchors unchecked)."""
    return verify(conn).ok


def head(conn: psycopg.Connection[Any]) -> Anchor | None:
    row = conn.execute("SELECT seq, event_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return None
    found = _dict(row, ("seq", "event_hash"))
    return Anchor(int(found["seq"]), str(found["event_hash"]))


# --- anchors outside the database -------------------------------------------------------------

# Objects are named by what they anchor, so an anchor is never overwritten in place and listing
# the prefix gives every anchored (seq, hash) without reading a single object.
_ANCHOR_KEY = re.compile(r"(?:^|/)(\d{20})-([0-9a-f]{64})\.json$")


def anchor_key(prefix: str, anchor: Anchor) -> str:
    return f"{prefix.strip('/')}/{anchor.seq:020d}-{anchor.event_hash}.json"


def _prefix(prefix: str | None) -> str:
    return (prefix if prefix is not None else get_settings().audit_anchor_prefix).strip("/")


def anchor(conn: psycopg.Connection[Any], *, prefix: str | None = None) -> Anchor | None:
    """Write the chain's current head to the anchor store (a no-op when it is already there, or
    when the table is empty); the head."""
    from shared import storage

    current = head(conn)
    if current is None:
        return None
    key = anchor_key(_prefix(prefix), current)
    bucket = get_settings().audit_anchor_bucket
    if storage.exists(key, bucket=bucket):
        return current
    body = {"seq": current.seq, "eventHash": current.event_hash,
            "anchoredAt": datetime.now(UTC).isoformat(), "tenant": get_settings().tenant}
    storage.put(key, json.dumps(body, sort_keys=True).encode(), "application/json", bucket=bucket)
    log.info("audit.anchored", seq=current.seq, key=key)
    return current


def anchors(*, prefix: str | None = None) -> list[Anchor]:
    """Every anchor under the prefix, oldest first."""
    from shared import storage

    found = []
    for key in storage.list_keys(_prefix(prefix) + "/", bucket=get_settings().audit_anchor_bucket):
        m = _ANCHOR_KEY.search(key)
        if m:
            found.append(Anchor(int(m.group(1)), m.group(2), key))
    return sorted(found, key=lambda a: a.seq)


def verify_anchored(conn: psycopg.Connection[Any], *, prefix: str | None = None) -> Verification:
    """`verify` against every anchor in the anchor store."""
    return verify(conn, anchors(prefix=prefix))
