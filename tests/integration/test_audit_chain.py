"""The audit chain against real PostgreSQL and S3: append-only, and every tampering detected.

Each test works on a database of its own (`fresh_database`), so breaking its chain on purpose
never touches the run's chain that the other tests extend. Edits that the table refuses are done
the way only an owner or superuser can: with triggers switched off for the session
(`session_replication_role = replica`); verification must still catch them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from shared import audit
from shared.migrate import MIGRATIONS_DIR, migrate

Conn = psycopg.Connection[dict[str, Any]]


@pytest.fixture
def dsn(fresh_database: str) -> str:
    migrate(fresh_database)
    return fresh_database


@pytest.fixture
def conn(dsn: str) -> Iterator[Conn]:
    with psycopg.connect(dsn, autocommit=True, row_factory=dict_row) as c:
        yield c


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex}"


def append(conn: Conn, n: int, **kw: Any) -> list[str]:
    hashes = []
    for i in range(n):
        with conn.transaction():
            hashes.append(audit.record(
                conn, event_type="TEST_ACTION", actor_id=f"actor-{i}", actor_role="ADMIN",
                target_type="USER", target_id=str(uuid.uuid4()), before={"status": "A", "n": i},
                after={"request": {"status": "B", "share": 0.125, "big": 1e16, "zero": -0.0},
                       "reply": {"commandId": str(uuid.uuid4())}},
                metadata={"requestId": uuid.uuid4().hex, "ip": "10.0.0.1"}, **kw))
    return hashes


def bypass(conn: Conn, sql: str, params: Any = None) -> None:
    """Run `sql` with triggers off, as a superuser or the table's owner could."""
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(sql, params)


def test_every_column_but_the_hash_is_hashed(conn: Conn) -> None:
    columns = {r["column_name"] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit_log'")}
    assert columns == {*audit.HASHED_COLUMNS, "event_hash"}


def test_appended_rows_verify_and_number_from_one(conn: Conn) -> None:
    hashes = append(conn, 5)
    rows = conn.execute("SELECT seq, event_hash, hash_version FROM audit_log ORDER BY seq").fetchall()
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["event_hash"] for r in rows] == hashes
    assert {r["hash_version"] for r in rows} == {2}
    result = audit.verify(conn)
    assert result.ok and result.rows == 5 and result.head == audit.Anchor(5, hashes[-1])


def test_a_rolled_back_record_leaves_no_gap(conn: Conn) -> None:
    append(conn, 1)
    with pytest.raises(RuntimeError), conn.transaction():
        audit.record(conn, event_type="TEST_ACTION", actor_id="x")
        raise RuntimeError("the action failed after its record")
    append(conn, 1)
    assert [r["seq"] for r in conn.execute("SELECT seq FROM audit_log ORDER BY seq")] == [1, 2]
    assert audit.verify(conn).ok


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET actor_id = 'someone else' WHERE seq = 1",
    "DELETE FROM audit_log WHERE seq = 2",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
])
def test_the_database_refuses_changes(conn: Conn, statement: str) -> None:
    append(conn, 2)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(statement)
    assert conn.execute("SELECT count(*) AS n FROM audit_log").fetchone() == {"n": 2}
    assert audit.verify(conn).ok


_EDITS = {
    "seq": "seq = seq + 100",
    "audit_id": "audit_id = gen_random_uuid()",
    "tenant_id": "tenant_id = 'other-tenant'",
    "event_type": "event_type = 'SOMETHING_HARMLESS'",
    "actor_id": "actor_id = 'someone-else'",
    "actor_role": "actor_role = 'USER'",
    "target_type": "target_type = 'SYSTEM'",
    "target_id": "target_id = NULL",
    "previous_value": "previous_value = '{\"status\": \"B\", \"n\": 1}'",
    "new_value": "new_value = jsonb_set(new_value, '{request,status}', '\"C\"')",
    "metadata": "metadata = metadata - 'ip'",
    "created_at": "created_at = created_at - interval '1 microsecond'",
    "hash_version": "hash_version = 1",
}


def test_an_edit_list_covers_every_hashed_column() -> None:
    assert set(_EDITS) == set(audit.HASHED_COLUMNS)


@pytest.mark.parametrize("column", sorted(_EDITS))
def test_an_edit_of_any_column_behind_the_triggers_back_is_detected(conn: Conn,
                                                                       column: str) -> None:
    append(conn, 4)
    bypass(conn, f"UPDATE audit_log SET {_EDITS[column]} WHERE seq = 2")
    result = audit.verify(conn)
    assert not result.ok and result.problems[0].startswith("seq 2:"), result.problems


def test_a_rehashed_edit_is_caught_by_the_next_row(conn: Conn) -> None:
    """Recomputing the edited row's own hash is not enough: its successor chains the old one."""
    append(conn, 3)
    row = conn.execute("SELECT * FROM audit_log WHERE seq = 2").fetchone()
    previous = conn.execute("SELECT event_hash FROM audit_log WHERE seq = 1").fetchone()
    assert row is not None and previous is not None
    row["actor_id"] = "someone-else"
    forged = audit._digest(previous["event_hash"], row)
    bypass(conn, "UPDATE audit_log SET actor_id = %s, event_hash = %s WHERE seq = 2",
           (row["actor_id"], forged))
    result = audit.verify(conn)
    assert not result.ok and result.problems[0].startswith("seq 3:")


def test_deleting_a_row_in_the_middle_is_detected(conn: Conn) -> None:
    append(conn, 4)
    bypass(conn, "DELETE FROM audit_log WHERE seq = 2")
    result = audit.verify(conn)
    assert not result.ok and "seq 2: missing" in result.problems[0]


def test_deleting_the_first_rows_is_detected(conn: Conn) -> None:
    append(conn, 3)
    bypass(conn, "DELETE FROM audit_log WHERE seq = 1")
    assert not audit.verify(conn).ok


def test_cutting_rows_off_the_end_is_detected_by_the_anchor(conn: Conn, prefix: str) -> None:
    append(conn, 5)
    anchored = audit.anchor(conn, prefix=prefix)
    assert anchored == audit.Anchor(5, audit.head(conn).event_hash)  # type: ignore[union-attr]
    assert audit.verify_anchored(conn, prefix=prefix).ok
    bypass(conn, "DELETE FROM audit_log WHERE seq > 3")
    assert audit.verify(conn).ok  # a shorter chain is a valid chain: hence the anchors
    result = audit.verify_anchored(conn, prefix=prefix)
    assert not result.ok and result.anchors == 1
    assert "seq 5: anchored" in result.problems[0] and "ends at seq 3" in result.problems[0]


def test_cut_and_regrown_chain_differs_from_its_anchor(conn: Conn, prefix: str) -> None:
    """Rows cut off the end and new ones appended reuse the numbers, but not the hashes."""
    append(conn, 4)
    audit.anchor(conn, prefix=prefix)
    bypass(conn, "DELETE FROM audit_log WHERE seq > 2")
    append(conn, 3)
    assert audit.verify(conn).ok
    result = audit.verify_anchored(conn, prefix=prefix)
    assert not result.ok and "seq 4: differs from anchor" in result.problems[0]


def test_truncating_everything_is_detected_by_the_anchor(conn: Conn, prefix: str) -> None:
    append(conn, 2)
    audit.anchor(conn, prefix=prefix)
    bypass(conn, "TRUNCATE audit_log")
    result = audit.verify_anchored(conn, prefix=prefix)
    assert not result.ok and "ends at seq 0" in result.problems[0]


def test_anchors_are_one_object_each_and_idempotent(conn: Conn, prefix: str) -> None:
    assert audit.anchor(conn, prefix=prefix) is None  # nothing to anchor yet
    append(conn, 2)
    first = audit.anchor(conn, prefix=prefix)
    assert audit.anchor(conn, prefix=prefix) == first  # the same head: no second object
    append(conn, 1)
    second = audit.anchor(conn, prefix=prefix)
    found = audit.anchors(prefix=prefix)
    assert [(a.seq, a.event_hash) for a in found] == [(2, first.event_hash),  # type: ignore[union-attr]
                                                     (3, second.event_hash)]  # type: ignore[union-attr]
    assert all(a.key.startswith(f"{prefix}/") for a in found)
    result = audit.verify_anchored(conn, prefix=prefix)
    assert result.ok and result.anchors == 2


def _legacy_hash(previous: str, fields: dict[str, Any]) -> str:
    """The hash rows had before migration 0007 (content only), as the old writer computed it."""
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous}|{body}".encode()).hexdigest()


def test_rows_from_before_the_migration_keep_their_hashes_and_chain_on(
    fresh_database: str, tmp_path: Path
) -> None:
    """A database with the old audit rows migrates without rewriting them, verifies, extends the
    chain from their last hash, and an edit of an old row is still caught."""
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0007":
            shutil.copy(path, tmp_path / path.name)
    migrate(fresh_database, tmp_path)
    previous, start = "", datetime(2025, 11, 17, tzinfo=UTC)
    with psycopg.connect(fresh_database, row_factory=dict_row) as c:
        for i in range(3):
            fields = {"event_type": "KYC_APPROVED", "actor_id": f"admin-{i}", "actor_role": "ADMIN",
                      "target_type": "KYC", "target_id": str(uuid.uuid4()),
                      "previous_value": {"kyc": "PENDING"}, "new_value": None,
                      "metadata": {"requestId": f"r{i}"}}
            previous = _legacy_hash(previous, fields)
            c.execute(
                "INSERT INTO audit_log (event_type, actor_id, actor_role, target_type, target_id,"
                " previous_value, new_value, metadata, event_hash, created_at)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (*[Jsonb(v) if isinstance(v, dict) else v
                   for v in fields.values()], previous, start + timedelta(seconds=i)))
    migrate(fresh_database)
    with psycopg.connect(fresh_database, autocommit=True, row_factory=dict_row) as c:
        rows = c.execute("SELECT seq, hash_version FROM audit_log ORDER BY seq").fetchall()
        assert rows == [{"seq": n, "hash_version": 1} for n in (1, 2, 3)]
        append(c, 2)
        result = audit.verify(c)
        assert result.ok and result.rows == 5
        bypass(c, "UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 2")
        assert audit.verify(c).problems[0].startswith("seq 2:")


def _cli(dsn: str, prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GX_DATABASE_URL": dsn, "GX_AUDIT_ANCHOR_PREFIX": prefix}
    return subprocess.run([sys.executable, "-m", "shared.cli", "audit", *args],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_cli_anchors_and_verifies(conn: Conn, dsn: str, prefix: str) -> None:
    append(conn, 3)
    anchored = _cli(dsn, prefix, "anchor")
    assert anchored.returncode == 0 and "anchored seq 3" in anchored.stdout, anchored.stderr
    ok = _cli(dsn, prefix, "verify", "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout) | {"headHash": None} == {
        "ok": True, "rows": 3, "anchorsChecked": 1, "headSeq": 3, "headHash": None,
        "problems": []}
    bypass(conn, "DELETE FROM audit_log WHERE seq = 3")
    broken = _cli(dsn, prefix, "verify")
    assert broken.returncode == 1 and broken.stdout.startswith("BROKEN")
    assert "cut off the end" in broken.stdout
