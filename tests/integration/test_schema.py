"""Migrations 0002-0006: the identity and reference schema rejects what the rules forbid.

Every test works inside one transaction that is rolled back, with each expected failure in its
own savepoint, so nothing is left in the run's database and tests never see each other's rows.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from itertools import product
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import errors as pg

USER_STATUSES = (
    "REGISTERED",
    "PENDING_ADMIN_APPROVAL",
    "APPROVED_PENDING_ONCHAIN",
    "DENIED",
    "ACTIVE",
    "FROZEN",
    "SUSPENDED",
    "CLOSED",
)

# rules.md §7.1, written out pair by pair (the trigger states it as rules; this is the table).
ALLOWED_USER_TRANSITIONS = {
    ("REGISTERED", "PENDING_ADMIN_APPROVAL"),
    ("DENIED", "PENDING_ADMIN_APPROVAL"),
    ("PENDING_ADMIN_APPROVAL", "APPROVED_PENDING_ONCHAIN"),
    ("PENDING_ADMIN_APPROVAL", "DENIED"),
    ("APPROVED_PENDING_ONCHAIN", "ACTIVE"),
    ("ACTIVE", "FROZEN"),
    ("FROZEN", "ACTIVE"),
    *((s, "SUSPENDED") for s in USER_STATUSES if s not in ("SUSPENDED", "CLOSED")),
    *(("SUSPENDED", s) for s in USER_STATUSES if s != "SUSPENDED"),
    *((s, "CLOSED") for s in USER_STATUSES if s != "CLOSED"),
}

_HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(database_url)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


def sha(text: str | None = None) -> str:
    return hashlib.sha256((text or secrets.token_hex(8)).encode()).hexdigest()


def add_user(conn: psycopg.Connection[Any], **columns: Any) -> str:
    row = {
        "email": f"user-{uuid.uuid4().hex[:12]}@example.org",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        **columns,
    }
    names = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    query = f"INSERT INTO user_profiles ({names}) VALUES ({marks}) RETURNING profile_id"
    got = conn.execute(query, tuple(row.values())).fetchone()  # type: ignore[arg-type]
    assert got is not None
    return str(got[0])


def add_kyc(conn: psycopg.Connection[Any], profile_id: str, **columns: Any) -> str:
    row = {
        "profile_id": profile_id,
        "evidence_hash": sha(),
        "evidence_size": 2048,
        "evidence_mime": "application/pdf",
        **columns,
    }
    names = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    query = f"INSERT INTO kyc_verifications ({names}) VALUES ({marks}) RETURNING kyc_id"
    got = conn.execute(query, tuple(row.values())).fetchone()  # type: ignore[arg-type]
    assert got is not None
    return str(got[0])


def rejects(
    conn: psycopg.Connection[Any], error: type[Exception], sql: str, params: Any = None
) -> str:
    """Run `sql` in a savepoint and require `error`; the violated constraint's name."""
    with pytest.raises(error) as info, conn.transaction():
        conn.execute(sql, params)  # type: ignore[arg-type]
    diag = getattr(info.value, "diag", None)
    return (diag.constraint_name if diag else None) or ""


# ---- countries and parameters -------------------------------------------------------------


def test_country_code_and_share_are_checked(db: psycopg.Connection[Any]) -> None:
    sql = (
        "INSERT INTO countries (country_code, country_name, region, allocation_share)"
        " VALUES (%s, %s, %s, %s)"
    )
    rejects(db, pg.CheckViolation, sql, ("zz", "Lowercase", "Europe", "0.1"))
    rejects(db, pg.CheckViolation, sql, ("Z1", "Digit", "Europe", "0.1"))
    rejects(db, pg.CheckViolation, sql, ("ZY", "Too much", "Europe", "1.5"))
    rejects(db, pg.CheckViolation, sql, ("ZY", "Negative", "Europe", "-0.1"))
    rejects(db, pg.CheckViolation, sql, ("ZY", "Nowhere", "Atlantis", "0.1"))
    with db.transaction():
        db.execute(sql, ("ZY", "Testland", "Oceania", "0.00000007"))
    assert db.execute(
        "SELECT allocation_share::text FROM countries WHERE country_code = 'ZY'"
    ).fetchone() == ("0.00000007",)


def test_country_updated_at_moves_on_update(db: psycopg.Connection[Any]) -> None:
    db.execute(
        "INSERT INTO countries (country_code, country_name, updated_at)"
        " VALUES ('ZX', 'Old', now() - interval '1 day')"
    )
    db.execute("UPDATE countries SET country_name = 'New' WHERE country_code = 'ZX'")
    row = db.execute(
        "SELECT updated_at > now() - interval '1 minute' FROM countries WHERE country_code = 'ZX'"
    ).fetchone()
    assert row == (True,)


def test_parameter_source_and_chain_block_are_checked(db: psycopg.Connection[Any]) -> None:
    sql = (
        "INSERT INTO system_parameters (param_key, param_value, source, updated_in_block)"
        " VALUES (%s, '1', %s, %s)"
    )
    key = f"testKey{secrets.token_hex(4)}"
    rejects(db, pg.CheckViolation, sql, (key, "admin", None))
    name = rejects(db, pg.CheckViolation, sql, (key, "chain", None))
    assert name == "system_parameters_chain_has_block"
    with db.transaction():
        db.execute(sql, (key, "chain", 42))
    rejects(db, pg.UniqueViolation, sql, (key, "seed", None))
    row = db.execute(
        "SELECT tenant_id, source FROM system_parameters WHERE param_key = %s", (key,)
    ).fetchone()
    assert row == ("default", "chain")


# ---- user profiles ------------------------------------------------------------------------


def test_profile_defaults(db: psycopg.Connection[Any]) -> None:
    pid = add_user(db)
    row = db.execute(
        "SELECT tenant_id, role, status, onchain_status, failed_login_count, deleted_at"
        " FROM user_profiles WHERE profile_id = %s",
        (pid,),
    ).fetchone()
    assert row == ("default", "USER", "REGISTERED", "NOT_REGISTERED", 0, None)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("status", "VERIFIED"),  # the Nov-17 vocabulary is gone
        ("status", "REJECTED"),  # what the later code wrongly wrote (gaps.md D11)
        ("status", "active"),
        ("role", "ROOT"),
        ("role", "user"),
        ("onchain_status", "DECEASED"),
        ("gender", "other"),
        ("email", "not-an-email"),
        ("date_of_birth", "1899-12-31"),
        ("failed_login_count", -1),
    ],
)
def test_profile_rejects_values_outside_the_vocabulary(
    db: psycopg.Connection[Any], column: str, value: Any
) -> None:
    with pytest.raises(pg.CheckViolation), db.transaction():
        add_user(db, **{column: value})


def test_denied_needs_a_reason(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(pg.CheckViolation) as info, db.transaction():
        add_user(db, status="DENIED")
    assert info.value.diag.constraint_name == "user_profiles_denied_has_reason"
    add_user(db, status="DENIED", denial_reason="document unreadable")


def test_email_is_unique_regardless_of_case(db: psycopg.Connection[Any]) -> None:
    local = f"Case.{uuid.uuid4().hex[:10]}"
    add_user(db, email=f"{local.lower()}@example.org")
    with pytest.raises(pg.UniqueViolation) as info, db.transaction():
        add_user(db, email=f"{local.upper()}@EXAMPLE.org")
    assert info.value.diag.constraint_name == "user_profiles_email_lower_key"
    # Profiles without an email (PARTNER_API principals) do not collide with each other.
    add_user(db, email=None, role="PARTNER_API", password_hash=None)
    add_user(db, email=None, role="PARTNER_API", password_hash=None)


def test_phone_fabric_id_and_biometric_hash_are_unique(db: psycopg.Connection[Any]) -> None:
    phone = f"+2547{secrets.randbelow(10**8):08d}"
    fabric = f"KE 1A2 ABC123 0WXYZ {uuid.uuid4().hex}"
    bio = sha()
    add_user(db, phone_num=phone, fabric_user_id=fabric, biometric_hash=bio)
    for column, value in (
        ("phone_num", phone),
        ("fabric_user_id", fabric),
        ("biometric_hash", bio),
    ):
        with pytest.raises(pg.UniqueViolation), db.transaction():
            add_user(db, **{column: value})


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    value=st.one_of(
        st.text(alphabet="0123456789abcdefABCDEFxyz ", min_size=60, max_size=66),
        st.from_regex(r"\A[0-9a-f]{64}\Z"),
    )
)
def test_biometric_hash_must_be_64_lowercase_hex(db: psycopg.Connection[Any], value: str) -> None:
    # char(64) pads a shorter value with spaces, which the pattern then rejects.
    with db.transaction(force_rollback=True):
        if _HEX64.fullmatch(value):
            add_user(db, biometric_hash=value)
        else:
            bad = (pg.CheckViolation, pg.StringDataRightTruncation)
            with pytest.raises(bad), db.transaction():
                add_user(db, biometric_hash=value)


def test_nationality_must_be_a_known_country(db: psycopg.Connection[Any]) -> None:
    with pytest.raises(pg.ForeignKeyViolation), db.transaction():
        add_user(db, nationality_country_code="QQ")
    db.execute(
        "INSERT INTO countries (country_code, country_name) VALUES ('QQ', 'Testland')"
        " ON CONFLICT DO NOTHING"
    )
    add_user(db, nationality_country_code="QQ")


def test_user_status_transitions_follow_the_state_machine(db: psycopg.Connection[Any]) -> None:
    """All 64 (from, to) pairs: exactly the transitions of rules.md §7.1 are accepted."""
    accepted: set[tuple[str, str]] = set()
    for old, new in product(USER_STATUSES, USER_STATUSES):
        if old == new:
            continue
        reason = "document unreadable"
        try:
            with db.transaction():
                pid = add_user(db, status=old, denial_reason=reason)
                db.execute("UPDATE user_profiles SET status = %s WHERE profile_id = %s", (new, pid))
        except pg.CheckViolation as exc:
            assert exc.diag.constraint_name == "user_profiles_status_transition"
        else:
            accepted.add((old, new))
    assert accepted == ALLOWED_USER_TRANSITIONS


def test_profile_cannot_be_hard_deleted_once_it_has_history(db: psycopg.Connection[Any]) -> None:
    pid = add_user(db)
    add_kyc(db, pid)
    rejects(db, pg.ForeignKeyViolation, "DELETE FROM user_profiles WHERE profile_id = %s", (pid,))


# ---- KYC ------------------------------------------------------------------------------------


def test_second_pending_kyc_is_rejected(db: psycopg.Connection[Any]) -> None:
    pid = add_user(db)
    add_kyc(db, pid)
    with pytest.raises(pg.UniqueViolation) as info, db.transaction():
        add_kyc(db, pid)
    assert info.value.diag.constraint_name == "kyc_verifications_one_open_per_profile"
    # Another user's submission is independent.
    add_kyc(db, add_user(db))


def test_kyc_resubmission_allowed_after_rejection_not_while_approved(
    db: psycopg.Connection[Any],
) -> None:
    admin = add_user(db, role="ADMIN", status="ACTIVE")
    pid = add_user(db)
    first = add_kyc(db, pid)
    db.execute(
        "UPDATE kyc_verifications SET status = 'REJECTED', rejection_reason = 'blurred',"
        " verifier_id = %s, verified_at = now() WHERE kyc_id = %s",
        (admin, first),
    )
    second = add_kyc(db, pid)
    db.execute(
        "UPDATE kyc_verifications SET status = 'APPROVED', verifier_id = %s, verified_at = now()"
        " WHERE kyc_id = %s",
        (admin, second),
    )
    with pytest.raises(pg.UniqueViolation), db.transaction():
        add_kyc(db, pid)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("evidence_hash", "A" * 64),
        ("evidence_hash", "0" * 63),
        ("evidence_size", 0),
        ("evidence_size", 10_485_761),
        ("evidence_mime", "image/gif"),
        ("status", "VERIFIED"),
    ],
)
def test_kyc_rejects_bad_evidence(db: psycopg.Connection[Any], column: str, value: Any) -> None:
    pid = add_user(db)
    with pytest.raises(pg.CheckViolation), db.transaction():
        add_kyc(db, pid, **{column: value})


def test_kyc_limits_are_inclusive(db: psycopg.Connection[Any]) -> None:
    add_kyc(db, add_user(db), evidence_size=1, evidence_mime="image/png")
    add_kyc(db, add_user(db), evidence_size=10_485_760, evidence_mime="image/jpeg")


def test_kyc_decisions_record_who_and_why(db: psycopg.Connection[Any]) -> None:
    admin = add_user(db, role="ADMIN", status="ACTIVE")
    kyc = add_kyc(db, add_user(db))
    update = (
        "UPDATE kyc_verifications SET status = %s, verifier_id = %s, verified_at = %s,"
        " rejection_reason = %s WHERE kyc_id = %s"
    )
    name = rejects(db, pg.CheckViolation, update, ("APPROVED", None, None, None, kyc))
    assert name == "kyc_verifications_decision_recorded"
    name = rejects(db, pg.CheckViolation, update, ("REJECTED", admin, "now", None, kyc))
    assert name == "kyc_verifications_rejection_has_reason"


def test_kyc_status_transitions(db: psycopg.Connection[Any]) -> None:
    admin = add_user(db, role="ADMIN", status="ACTIVE")
    decided = (
        "UPDATE kyc_verifications SET status = %s, verifier_id = %s, verified_at = now(),"
        " rejection_reason = 'blurred' WHERE kyc_id = %s"
    )
    rejected = add_kyc(db, add_user(db))
    db.execute(decided, ("REJECTED", admin, rejected))
    for target in ("APPROVED", "PENDING", "EXPIRED"):
        name = rejects(db, pg.CheckViolation, decided, (target, admin, rejected))
        assert name == "kyc_verifications_status_transition"
    approved = add_kyc(db, add_user(db))
    db.execute(decided, ("APPROVED", admin, approved))
    rejects(db, pg.CheckViolation, decided, ("PENDING", admin, approved))
    db.execute(decided, ("EXPIRED", admin, approved))


def test_kyc_document_checks(db: psycopg.Connection[Any]) -> None:
    kyc = add_kyc(db, add_user(db))
    sql = (
        "INSERT INTO kyc_documents"
        " (kyc_id, document_type, storage_key, file_hash, file_size, mime_type)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
    )
    with db.transaction():
        db.execute(
            sql, (kyc, "PASSPORT", f"kyc/{kyc}/passport.pdf", sha(), 1000, "application/pdf")
        )
    rejects(db, pg.CheckViolation, sql, (kyc, "SELFIE", "k", sha(), 1000, "image/png"))
    rejects(db, pg.CheckViolation, sql, (kyc, "PASSPORT", "k", "xyz", 1000, "image/png"))
    rejects(
        db, pg.ForeignKeyViolation, sql, (str(uuid.uuid4()), "PASSPORT", "k", sha(), 1, "image/png")
    )


# ---- sessions and refresh-token rotation ----------------------------------------------------


def open_session(conn: psycopg.Connection[Any], profile_id: str) -> tuple[str, str]:
    token_hash = sha()
    row = conn.execute(
        "INSERT INTO user_sessions (profile_id, refresh_token_hash, refresh_jti, ip_address,"
        " user_agent, expires_at)"
        " VALUES (%s, %s, %s, '127.0.0.1', 'pytest', now() + interval '7 days')"
        " RETURNING session_id",
        (profile_id, token_hash, uuid.uuid4().hex),
    ).fetchone()
    assert row is not None
    session_id = str(row[0])
    conn.execute(
        "INSERT INTO session_refresh_tokens (token_hash, session_id, jti, expires_at)"
        " SELECT refresh_token_hash, session_id, refresh_jti, expires_at FROM user_sessions"
        " WHERE session_id = %s",
        (session_id,),
    )
    return session_id, token_hash


def rotate(conn: psycopg.Connection[Any], session_id: str, presented: str) -> str | None:
    """The documented rotation (0006 header): the new hash, or None after revoking on a replay."""
    with conn.transaction():
        used = conn.execute(
            "UPDATE session_refresh_tokens SET used_at = now()"
            " WHERE token_hash = %s AND session_id = %s AND used_at IS NULL RETURNING token_hash",
            (presented, session_id),
        ).fetchone()
        if used is None:
            conn.execute(
                "UPDATE user_sessions SET status = 'REVOKED', revoked_at = now(),"
                " revoked_reason = 'REFRESH_TOKEN_REUSE' WHERE session_id = %s",
                (session_id,),
            )
            return None
        new = sha()
        conn.execute(
            "UPDATE session_refresh_tokens SET replaced_by = %s WHERE token_hash = %s",
            (new, presented),
        )
        conn.execute(
            "INSERT INTO session_refresh_tokens (token_hash, session_id, jti, expires_at)"
            " VALUES (%s, %s, %s, now() + interval '7 days')",
            (new, session_id, uuid.uuid4().hex),
        )
        conn.execute(
            "UPDATE user_sessions SET refresh_token_hash = %s, refresh_jti = %s,"
            " last_used_at = now()"
            " WHERE session_id = %s",
            (new, uuid.uuid4().hex, session_id),
        )
        return new


def test_replayed_refresh_token_revokes_the_session(db: psycopg.Connection[Any]) -> None:
    session_id, first = open_session(db, add_user(db, status="ACTIVE"))
    second = rotate(db, session_id, first)
    assert second is not None and second != first
    third = rotate(db, session_id, second)
    assert third is not None
    assert rotate(db, session_id, first) is None  # the stolen, already-rotated token
    status = db.execute(
        "SELECT status, revoked_reason FROM user_sessions WHERE session_id = %s", (session_id,)
    ).fetchone()
    assert status == ("REVOKED", "REFRESH_TOKEN_REUSE")
    chain = db.execute(
        "SELECT count(*) FILTER (WHERE used_at IS NULL), count(*) FROM session_refresh_tokens"
        " WHERE session_id = %s",
        (session_id,),
    ).fetchone()
    assert chain == (1, 3)


def test_one_current_refresh_token_per_session(db: psycopg.Connection[Any]) -> None:
    session_id, _ = open_session(db, add_user(db))
    name = rejects(
        db,
        pg.UniqueViolation,
        "INSERT INTO session_refresh_tokens (token_hash, session_id, jti, expires_at)"
        " VALUES (%s, %s, %s, now() + interval '1 day')",
        (sha(), session_id, uuid.uuid4().hex),
    )
    assert name == "session_refresh_tokens_one_current"


def test_replaced_by_must_name_an_issued_token(db: psycopg.Connection[Any]) -> None:
    _, token_hash = open_session(db, add_user(db))
    with pytest.raises(pg.ForeignKeyViolation), db.transaction():
        db.execute(
            "UPDATE session_refresh_tokens SET used_at = now(), replaced_by = %s"
            " WHERE token_hash = %s",
            (sha(), token_hash),
        )
        db.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_concurrent_refreshes_with_one_token_let_exactly_one_through(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as setup:
        profile_id = add_user(setup, status="ACTIVE")
        session_id, token_hash = open_session(setup, profile_id)
    claim = (
        "UPDATE session_refresh_tokens SET used_at = now()"
        " WHERE token_hash = %s AND used_at IS NULL RETURNING token_hash"
    )
    results: dict[str, Any] = {}
    a = psycopg.connect(database_url)
    b = psycopg.connect(database_url)
    try:
        results["a"] = a.execute(claim, (token_hash,)).fetchone()

        def second() -> None:
            # Blocks on a's row lock; once a commits, PostgreSQL re-checks `used_at IS NULL`.
            results["b"] = b.execute(claim, (token_hash,)).fetchone()
            b.commit()

        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(timeout=0.3)
        assert waiter.is_alive(), "the second refresh did not wait for the first"
        a.commit()
        waiter.join(timeout=10)
        assert results["a"] is not None and results["b"] is None
    finally:
        a.close()
        b.close()
        with psycopg.connect(database_url, autocommit=True) as cleanup:
            cleanup.execute(
                "DELETE FROM session_refresh_tokens WHERE session_id = %s", (session_id,)
            )
            cleanup.execute("DELETE FROM user_sessions WHERE session_id = %s", (session_id,))
            cleanup.execute("DELETE FROM user_profiles WHERE profile_id = %s", (profile_id,))


def test_session_stores_hashes_not_tokens(db: psycopg.Connection[Any]) -> None:
    pid = add_user(db)
    raw_jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    sql = (
        "INSERT INTO user_sessions (profile_id, refresh_token_hash, refresh_jti, expires_at)"
        " VALUES (%s, %s, 'j', now() + interval '1 day')"
    )
    not_a_hash = (pg.CheckViolation, pg.StringDataRightTruncation)
    rejects(db, not_a_hash, sql, (pid, raw_jwt))  # type: ignore[arg-type]
    rejects(db, pg.CheckViolation, sql, (pid, "F" * 64))


@pytest.mark.parametrize(
    ("status", "revoked_at", "expires", "ok"),
    [
        ("ACTIVE", None, "1 day", True),
        ("LOGGED_OUT", "now", "1 day", True),
        ("LOGGED_OUT", None, "1 day", False),
        ("REVOKED", None, "1 day", False),
        ("EXPIRED", None, "1 day", True),
        ("PAUSED", None, "1 day", False),
        ("ACTIVE", None, "-1 day", False),
    ],
)
def test_session_status_rules(
    db: psycopg.Connection[Any], status: str, revoked_at: str | None, expires: str, ok: bool
) -> None:
    pid = add_user(db)
    sql = (
        "INSERT INTO user_sessions"
        " (profile_id, refresh_token_hash, refresh_jti, status, revoked_at,"
        " expires_at) VALUES (%s, %s, 'j', %s, %s, now() + %s::interval)"
    )
    params = (pid, sha(), status, revoked_at, expires)
    if ok:
        db.execute(sql, params)
    else:
        rejects(db, pg.CheckViolation, sql, params)
