"""KYC: submission, the admin review queue, approval into on-chain registration, rejection.

Status machine (rules.md §7.1 and §7.3, also enforced by triggers in the database):
    profile REGISTERED|DENIED --submit--> PENDING_ADMIN_APPROVAL
            --approve--> APPROVED_PENDING_ONCHAIN --UserCreated projected--> ACTIVE
            --reject--> DENIED (with the reason)
    kyc     PENDING --approve--> APPROVED | --reject--> REJECTED

Approval is one transaction: the KYC and profile rows change, the user's deterministic on-chain id
and biometric hash are fixed, and two commands enter the outbox on the user's aggregate:
CREATE_USER, then DISTRIBUTE_GENESIS. The outbox submits one aggregate's commands in the order
they were accepted, so genesis always follows the creation it depends on, and both request ids
are business keys (`create-user:<profile>`, `genesis:<profile>`): re-approving can never register
or pay anyone twice. The biometric hash is the SHA-256 of the KYC evidence itself; two people
presenting the same document cannot both be registered (the column is unique).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import psycopg

from shared import db, pagination, storage
from shared.api import as_uuid
from shared.auth import Principal
from shared.db.errors import UniqueViolation
from shared.errors import Conflict, NotFound
from shared.identity import documents
from shared.identity.fabric_id import age_on, fabric_user_id
from shared.identity.schemas import KycEvidenceIn
from shared.outbox import Command, Enqueued, enqueue
from shared.unit_of_work import command_transaction

_KYC_COLUMNS = (
    "kyc_id, profile_id, status, evidence_hash, evidence_size, evidence_mime,"
    " document_object_key, verified_at, verifier_id, verifier_notes, rejection_reason,"
    " created_at, updated_at"
)
_OPEN = "a KYC submission is already pending review or approved"


def latest(profile_id: str) -> dict[str, Any] | None:
    return db.fetch_one(
        f"SELECT {_KYC_COLUMNS} FROM kyc_verifications WHERE profile_id = %s"
        " ORDER BY created_at DESC LIMIT 1",
        (profile_id,),
    )


def submit_document(profile_id: str, data: bytes) -> dict[str, Any]:
    """A KYC submission with the document itself: checked, stored in S3, then recorded."""
    doc = documents.check(data)
    _refuse_if_open(profile_id)
    kyc_id = str(uuid.uuid4())
    key = f"kyc/{profile_id}/{kyc_id}.{doc.extension}"
    storage.put(key, doc.data, doc.mime)
    return _record(profile_id, kyc_id, doc.sha256, doc.size, doc.mime, key)


def submit_evidence(profile_id: str, evidence: KycEvidenceIn) -> dict[str, Any]:
    """A KYC submission by evidence fields only (hash, size, type of a document held elsewhere)."""
    _refuse_if_open(profile_id)
    return _record(
        profile_id, str(uuid.uuid4()), evidence.evidence_hash, evidence.evidence_size,
        evidence.evidence_mime, None,
    )


def _refuse_if_open(profile_id: str) -> None:
    if db.fetch_one(
        "SELECT 1 FROM kyc_verifications WHERE profile_id = %s AND status IN ('PENDING','APPROVED')",
        (profile_id,),
    ):
        raise Conflict(_OPEN, code="KYC_ALREADY_OPEN")


def _record(
    profile_id: str, kyc_id: str, sha256: str, size: int, mime: str, key: str | None
) -> dict[str, Any]:
    try:
        with db.transaction() as conn:
            profile = conn.execute(
                "SELECT status FROM user_profiles WHERE profile_id = %s AND deleted_at IS NULL"
                " FOR UPDATE",
                (profile_id,),
            ).fetchone()
            if profile is None:
                raise NotFound("user not found", code="USER_NOT_FOUND")
            if profile["status"] not in ("REGISTERED", "DENIED", "PENDING_ADMIN_APPROVAL"):
                raise Conflict(
                    f"KYC cannot be submitted while the account is {profile['status']}",
                    code="KYC_NOT_ALLOWED",
                )
            row = conn.execute(
                f"INSERT INTO kyc_verifications (kyc_id, profile_id, evidence_hash, evidence_size,"
                f" evidence_mime, document_object_key) VALUES (%s,%s,%s,%s,%s,%s)"
                f" RETURNING {_KYC_COLUMNS}",
                (kyc_id, profile_id, sha256, size, mime, key),
            ).fetchone()
            if key is not None:
                conn.execute(
                    "INSERT INTO kyc_documents (kyc_id, document_type, storage_key, file_hash,"
                    " file_size, mime_type) VALUES (%s, 'OTHER', %s, %s, %s, %s)",
                    (kyc_id, key, sha256, size, mime),
                )
            conn.execute(
                "UPDATE user_profiles SET status = 'PENDING_ADMIN_APPROVAL'"
                " WHERE profile_id = %s AND status <> 'PENDING_ADMIN_APPROVAL'",
                (profile_id,),
            )
    except UniqueViolation:  # a concurrent submission won the partial unique index
        raise Conflict(_OPEN, code="KYC_ALREADY_OPEN") from None
    assert row is not None
    return row


# --- the admin side ---------------------------------------------------------------------------


def queue(status: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """KYC records of one status, oldest first (a review queue is first come, first served)."""
    params: list[Any] = [status]
    where = "status = %s"
    if cursor:
        created_at, kyc_id = pagination.decode(cursor, 2)
        where += " AND (created_at, kyc_id) > (%s::timestamptz, %s::uuid)"
        params += [created_at, kyc_id]
    rows = db.fetch_all(
        f"SELECT {_KYC_COLUMNS} FROM kyc_verifications WHERE {where}"
        " ORDER BY created_at, kyc_id LIMIT %s",
        (*params, limit + 1),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (pagination.encode(rows[-1]["created_at"], rows[-1]["kyc_id"]) if more else None)


def get(kyc_id: str) -> dict[str, Any]:
    kyc_id = as_uuid(kyc_id)
    if kyc_id is None:
        raise NotFound("KYC record not found", code="KYC_NOT_FOUND")
    row = db.fetch_one(f"SELECT {_KYC_COLUMNS} FROM kyc_verifications WHERE kyc_id = %s", (kyc_id,))
    if row is None:
        raise NotFound("KYC record not found", code="KYC_NOT_FOUND")
    return row


def document_link(kyc_id: str, ttl_s: int = 300) -> tuple[str, dict[str, Any]]:
    """A presigned link to the record's document (each view is audited by its contract)."""
    row = get(kyc_id)
    if row["document_object_key"] is None:
        raise NotFound("this KYC record has no stored document", code="KYC_NO_DOCUMENT")
    return storage.presigned_url(row["document_object_key"], ttl_s=ttl_s), row


def approve(kyc_id: str, admin: Principal, *, notes: str | None) -> tuple[Enqueued, dict[str, Any]]:
    """Approve a pending KYC and queue the user's on-chain registration and genesis."""
    get(kyc_id)  # 404 for a malformed or unknown id before taking locks
    with command_transaction("identity") as conn:
        kyc = conn.execute(
            f"SELECT {_KYC_COLUMNS} FROM kyc_verifications WHERE kyc_id = %s FOR UPDATE", (kyc_id,)
        ).fetchone()
        assert kyc is not None
        if kyc["status"] != "PENDING":
            raise Conflict(f"KYC record is {kyc['status']}, not PENDING", code="KYC_NOT_PENDING")
        profile = conn.execute(
            "SELECT profile_id, status, date_of_birth, gender, nationality_country_code,"
            " fabric_user_id FROM user_profiles WHERE profile_id = %s FOR UPDATE",
            (kyc["profile_id"],),
        ).fetchone()
        assert profile is not None
        if profile["date_of_birth"] is None or profile["nationality_country_code"] is None:
            raise Conflict("the profile lacks date of birth or nationality",
                           code="PROFILE_INCOMPLETE")
        fabric_id = profile["fabric_user_id"] or _assign_fabric_id(conn, profile)
        try:
            with conn.transaction():
                conn.execute(
                    "UPDATE user_profiles SET status = 'APPROVED_PENDING_ONCHAIN',"
                    " onchain_status = 'PENDING', biometric_hash = %s WHERE profile_id = %s",
                    (kyc["evidence_hash"], profile["profile_id"]),
                )
        except UniqueViolation:
            raise Conflict("this identity evidence already belongs to another user",
                           code="DUPLICATE_IDENTITY") from None
        conn.execute(
            "UPDATE kyc_verifications SET status = 'APPROVED', verified_at = now(),"
            " verifier_id = %s, verifier_notes = %s WHERE kyc_id = %s",
            (admin.sub, notes, kyc_id),
        )
        nationality = profile["nationality_country_code"]
        created = enqueue(conn, Command(
            type="CREATE_USER",
            payload={
                "userId": fabric_id,
                "biometricHash": kyc["evidence_hash"],
                "nationality": nationality,
                "age": age_on(profile["date_of_birth"], date.today()),
            },
            request_id=f"create-user:{profile['profile_id']}",
            principal_id=admin.sub,
            service="identity",
        ))
        enqueue(conn, Command(
            type="DISTRIBUTE_GENESIS",
            payload={"userId": fabric_id, "nationality": nationality},
            request_id=f"genesis:{profile['profile_id']}",
            principal_id=admin.sub,
            service="identity",
        ))
    return created, {"fabricUserId": fabric_id, "profileId": str(profile["profile_id"])}


def _assign_fabric_id(conn: psycopg.Connection[Any], profile: dict[str, Any]) -> str:
    for salt in range(8):  # a collision needs the same country, birth date and a hash clash
        candidate = fabric_user_id(
            country=profile["nationality_country_code"], dob=profile["date_of_birth"],
            profile_id=str(profile["profile_id"]), female=profile["gender"] == "female", salt=salt,
        )
        try:
            with conn.transaction():
                conn.execute(
                    "UPDATE user_profiles SET fabric_user_id = %s WHERE profile_id = %s",
                    (candidate, profile["profile_id"]),
                )
            return candidate
        except UniqueViolation:
            continue
    raise Conflict("could not allocate an on-chain id; try again", code="FABRIC_ID_EXHAUSTED")


def reject(kyc_id: str, admin: Principal, *, reason: str) -> dict[str, Any]:
    get(kyc_id)
    with db.transaction() as conn:
        kyc = conn.execute(
            "SELECT status, profile_id FROM kyc_verifications WHERE kyc_id = %s FOR UPDATE",
            (kyc_id,),
        ).fetchone()
        assert kyc is not None
        if kyc["status"] != "PENDING":
            raise Conflict(f"KYC record is {kyc['status']}, not PENDING", code="KYC_NOT_PENDING")
        row = conn.execute(
            f"UPDATE kyc_verifications SET status = 'REJECTED', verified_at = now(),"
            f" verifier_id = %s, rejection_reason = %s WHERE kyc_id = %s RETURNING {_KYC_COLUMNS}",
            (admin.sub, reason, kyc_id),
        ).fetchone()
        conn.execute(
            "UPDATE user_profiles SET status = 'DENIED', denial_reason = %s"
            " WHERE profile_id = %s AND status = 'PENDING_ADMIN_APPROVAL'",
            (reason, kyc["profile_id"]),
        )
    assert row is not None
    return row
