"""KYC through the functions: upload to S3, type from content, caps, review, approval commands."""

from __future__ import annotations

import hashlib
import io
import urllib.request
from typing import Any

from shared import db
from tests.functions.identity.conftest import Api, admin_headers

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def login_token(api: Api, user: dict[str, Any]) -> str:
    return api.login(user["email"], user["password"]).get_json()["accessToken"]


def upload(api: Api, user: dict[str, Any], data: bytes, name: str = "passport.pdf") -> Any:
    return api.call(
        "submit_kyc", "POST", f"/api/v1/users/{user['profileId']}/kyc",
        data={"document": (io.BytesIO(data), name)}, content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {login_token(api, user)}"},
    )


def admin() -> dict[str, str]:
    return admin_headers("ADMIN")


def test_pdf_upload_is_stored_hashed_and_reviewable(api: Api) -> None:
    user = api.register()
    resp = upload(api, user, PDF)
    assert resp.status_code == 201, resp.get_json()
    record = resp.get_json()["kycRecord"]
    assert record["evidenceHash"] == hashlib.sha256(PDF).hexdigest()
    assert record["evidenceMime"] == "application/pdf" and record["evidenceSize"] == len(PDF)
    assert record["status"] == "PENDING" and record["hasDocument"]
    status = db.fetch_one("SELECT status FROM user_profiles WHERE profile_id = %s",
                          (user["profileId"],))
    assert status == {"status": "PENDING_ADMIN_APPROVAL"}

    second = upload(api, user, PDF)
    assert second.status_code == 409 and second.get_json()["code"] == "KYC_ALREADY_OPEN"

    queue = api.call("list_kyc_queue", "GET", "/api/v1/admin/kyc?status=PENDING&limit=200",
                     headers=admin()).get_json()
    assert record["kycId"] in {item["kycId"] for item in queue["items"]}

    link = api.call("get_kyc_document", "GET", f"/api/v1/admin/kyc/{record['kycId']}/document",
                    headers=admin())
    assert link.status_code == 200
    with urllib.request.urlopen(link.get_json()["url"], timeout=10) as fetched:
        assert fetched.read() == PDF


def test_executable_renamed_pdf_is_415_and_11_mib_is_413(api: Api) -> None:
    user = api.register()
    renamed = upload(api, user, ELF, "totally-a-passport.pdf")
    assert renamed.status_code == 415
    big = upload(api, user, PDF + b"0" * (11 * 1024 * 1024))
    assert big.status_code == 413
    assert db.fetch_one("SELECT count(*) AS n FROM kyc_verifications WHERE profile_id = %s",
                        (user["profileId"],)) == {"n": 0}


def test_reject_denies_and_allows_resubmission(api: Api) -> None:
    user = api.register()
    kyc_id = upload(api, user, PDF).get_json()["kycRecord"]["kycId"]
    short = api.call("reject_kyc", "POST", f"/api/v1/admin/kyc/{kyc_id}/reject",
                     json={"reason": ""}, headers=admin())
    assert short.status_code == 422
    rejected = api.call("reject_kyc", "POST", f"/api/v1/admin/kyc/{kyc_id}/reject",
                        json={"reason": "document unreadable"}, headers=admin())
    assert rejected.status_code == 200 and rejected.get_json()["kycRecord"]["status"] == "REJECTED"
    me = db.fetch_one("SELECT status, denial_reason FROM user_profiles WHERE profile_id = %s",
                      (user["profileId"],))
    assert me == {"status": "DENIED", "denial_reason": "document unreadable"}
    assert upload(api, user, PDF + b"\n").status_code == 201


def test_evidence_fields_form_is_accepted(api: Api) -> None:
    user = api.register()
    resp = api.call(
        "submit_kyc", "POST", f"/api/v1/users/{user['profileId']}/kyc",
        json={"evidenceHash": "a" * 64, "evidenceSize": 1234, "evidenceMime": "image/png"},
        headers={"Authorization": f"Bearer {login_token(api, user)}"},
    )
    assert resp.status_code == 201 and not resp.get_json()["kycRecord"]["hasDocument"]


def test_approval_queues_registration_then_genesis_once(api: Api) -> None:
    user = api.register(gender="female")
    kyc_id = upload(api, user, PDF + user["profileId"].encode()).get_json()["kycRecord"]["kycId"]
    resp = api.call("approve_kyc", "POST", f"/api/v1/admin/kyc/{kyc_id}/approve",
                    headers={**admin(), "Idempotency-Key": f"approve-{kyc_id}"})
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert resp.headers["Location"] == f"/api/v1/commands/{body['commandId']}"
    fabric_id = body["fabricUserId"]
    assert fabric_id.startswith("NG ")
    rows = db.fetch_all(
        "SELECT command_type, aggregate_key, payload FROM outbox_commands"
        " WHERE request_id IN (%s, %s) ORDER BY aggregate_seq",
        (f"create-user:{user['profileId']}", f"genesis:{user['profileId']}"),
    )
    assert [r["command_type"] for r in rows] == ["CREATE_USER", "DISTRIBUTE_GENESIS"]
    assert rows[0]["aggregate_key"] == rows[1]["aggregate_key"]
    assert rows[0]["payload"]["userId"] == fabric_id
    profile = db.fetch_one("SELECT status, onchain_status, biometric_hash FROM user_profiles"
                           " WHERE profile_id = %s", (user["profileId"],))
    assert profile["status"] == "APPROVED_PENDING_ONCHAIN" and profile["onchain_status"] == "PENDING"
    again = api.call("approve_kyc", "POST", f"/api/v1/admin/kyc/{kyc_id}/approve",
                     headers={**admin(), "Idempotency-Key": f"approve-again-{kyc_id}"})
    assert again.status_code == 409
    audit = db.fetch_one("SELECT count(*) AS n FROM audit_log WHERE event_type = 'KYC_APPROVED'"
                         " AND target_id = %s", (kyc_id,))
    assert audit == {"n": 1}
