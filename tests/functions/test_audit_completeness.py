"""Audit completeness, generated from the function contracts in the registry.

Every route a staff member's successful call is audited on (`FunctionSpec.audited`: every non-GET
route that takes a caller, and GET routes that declare `audit`) is called once, successfully, by a
real ADMIN or SUPER_ADMIN profile through its functions-framework app, and must write exactly one
audit row naming the actor, the action, the target, the state before and what was asked. The list
of routes comes from the registry; how to drive each one to success is a case in `CASES`, so a new
staff route without a case fails here until someone says how to call it.

Then the rule's edges: refused calls, idempotent replays, users and the partner identity write
nothing; a record that cannot be written takes the call down with it; and the chain all of these
tests (and the whole run) extended still verifies against its anchor.
"""

from __future__ import annotations

import io
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest

from knative.registry import get_spec, http_functions
from knative.spec import resolve
from shared import audit, audit_calls, db
from shared.config import reset_settings
from shared.events import deadletters
from shared.identity import kyc
from shared.outbox import Command, enqueue
from tests.functions.organization import world
from tests.helpers import bearer, client_for

GX = 1_000_000
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
FUTURE = datetime.now(UTC) + timedelta(days=14)
PAST = datetime.now(UTC) - timedelta(seconds=1)


@dataclass
class Case:
    """One successful staff call: who calls what, and what its record must say."""

    caller: world.User
    path: str
    target: str | None
    json: Any = None
    before: dict[str, Any] = field(default_factory=dict)  # fields the record's `before` shows
    cleanup: Callable[[], None] = lambda: None


def staff(role: str = "ADMIN", **kw: Any) -> world.User:
    return world.user(role=role, **kw)


def kyc_user(*, dob: bool = False) -> world.User:
    """A registered user who has not submitted KYC yet (a birth date when it is to be approved)."""
    u = world.user(status="REGISTERED", on_chain=False)
    if dob:
        db.execute("UPDATE user_profiles SET date_of_birth = '1990-05-17' WHERE profile_id = %s",
                   (u.profile_id,))
    return u


def pending_kyc(*, document: bool = False) -> str:
    u = kyc_user(dob=True)
    if document:
        row = kyc.submit_document(u.profile_id, PDF + secrets.token_hex(8).encode())
    else:
        from shared.identity.schemas import KycEvidenceIn

        row = kyc.submit_evidence(u.profile_id, KycEvidenceIn(
            evidence_hash=secrets.token_hex(32), evidence_size=1234, evidence_mime="image/png"))
    return str(row["kyc_id"])


def dead_command() -> str:
    with db.transaction() as conn:
        cid = enqueue(conn, Command("UPDATE_SYSTEM_PARAMETER",
                                    {"paramId": "maxLoanDurationDays", "newValue": "400"},
                                    principal_id="audit-test")).id
        conn.execute("DELETE FROM outbox_queue WHERE command_id = %s", (cid,))
        conn.execute("UPDATE outbox_commands SET status = 'DEAD', attempts = 5,"
                     " error_code = 'UNAVAILABLE', finished_at = now() WHERE id = %s", (cid,))
    return cid


def account_row(u: world.User, **values: Any) -> None:
    sets = ", ".join(f"{k} = %({k})s" for k in values)
    db.execute(f"UPDATE rm_accounts SET {sets} WHERE account_id = %(id)s",
               {**values, "id": u.chain_id})


# --- one case per audited route -----------------------------------------------------------


def c_bootstrap_system() -> Case:
    row = db.fetch_one("SELECT bootstrapped_at FROM rm_system_status WHERE tenant_id = 'default'")
    db.execute("UPDATE rm_system_status SET bootstrapped_at = NULL WHERE tenant_id = 'default'")

    def restore() -> None:  # other modules' projections bootstrapped this database
        if row is not None:
            db.execute("UPDATE rm_system_status SET bootstrapped_at = %s"
                       " WHERE tenant_id = 'default'", (row["bootstrapped_at"],))

    return Case(staff("SUPER_ADMIN"), "/api/v1/bootstrap", None, cleanup=restore)


def c_initialize_countries() -> Case:
    return Case(staff("SUPER_ADMIN"), "/api/v1/countries/initialize", None)


def c_update_parameter() -> Case:
    return Case(staff("SUPER_ADMIN"), "/api/v1/parameters", "maxLoanDurationDays",
                json={"paramId": "maxLoanDurationDays", "newValue": "400"},
                before={"param_key": "maxLoanDurationDays"})


def c_pause_system() -> Case:
    return Case(staff("SUPER_ADMIN"), "/api/v1/system/pause", None,
                json={"reason": "planned ledger maintenance"})


def c_resume_system() -> Case:
    return Case(staff("SUPER_ADMIN"), "/api/v1/system/resume", None)


def c_appoint_admin() -> Case:
    u = world.user()
    return Case(staff("SUPER_ADMIN"), "/api/v1/admins", u.profile_id,
                json={"newAdminId": u.profile_id}, before={"role": "USER", "status": "ACTIVE"})


def c_activate_treasury() -> Case:
    return Case(staff("SUPER_ADMIN"), "/api/v1/treasury/activate", "NG",
                json={"countryCode": "NG"})


def c_list_dead_commands() -> Case:
    dead_command()
    return Case(staff(), "/api/v1/admin/commands/dead?limit=5", "*")


def c_retry_command() -> Case:
    cid = dead_command()
    return Case(staff(), f"/api/v1/admin/commands/{cid}/retry", cid,
                before={"status": "DEAD", "attempts": 5})


def c_hold_outbox() -> Case:
    return Case(staff("SUPER_ADMIN"), "/api/v1/admin/outbox/hold", "submission",
                json={"reason": "chaincode upgrade in progress"},
                cleanup=lambda: db.execute("DELETE FROM outbox_hold"))  # the run's outbox drains


def c_release_outbox() -> Case:
    db.execute("INSERT INTO outbox_hold (reason, held_by) VALUES ('peer replacement', 'ops')")
    return Case(staff("SUPER_ADMIN"), "/api/v1/admin/outbox/hold", "submission",
                before={"reason": "peer replacement", "held_by": "ops"},
                cleanup=lambda: db.execute("DELETE FROM outbox_hold"))


def c_replay_dead_letter() -> Case:
    from shared.events.sink import broker_sink
    from tests.integration.projector.harness import ProjectorSink

    with db.transaction() as conn:
        letter = deadletters.record(
            conn, source="projector", reason="projection failed", subscriber="project_system_paused",
            event_id=str(uuid.uuid4()), event_type="org.gxcoin.chain.system_paused.v1",
            attributes={"source": "/gx/chain/test"}, payload={"reason": "scheduled maintenance"})
    broker = ProjectorSink()
    broker.hold = True  # accepted and kept: nothing is projected into the run's read models
    broker.__enter__()
    saved = os.environ.get("GX_BROKER_URL")
    os.environ["GX_BROKER_URL"] = broker.url
    reset_settings()
    broker_sink.cache_clear()

    def restore() -> None:
        broker.__exit__(None, None, None)
        if saved is None:
            os.environ.pop("GX_BROKER_URL", None)
        else:
            os.environ["GX_BROKER_URL"] = saved
        reset_settings()
        broker_sink.cache_clear()
        # The replayed event reached the broker once (other announcements may ride along).
        assert [t for _, _, t in broker.held].count("org.gxcoin.chain.system_paused.v1") == 1

    return Case(staff(), f"/api/v1/admin/dead-letters/{letter}/replay", str(letter),
                before={"status": "DEAD", "reason": "projection failed"}, cleanup=restore)


def c_submit_proposal() -> Case:
    value = str(100 + secrets.randbelow(3000))
    return Case(staff(), "/api/v1/proposals", "maxLoanDurationDays",
                json={"targetParam": "maxLoanDurationDays", "newValue": value},
                before={"param_key": "maxLoanDurationDays"})


def c_vote_on_proposal() -> Case:
    proposal = world.proposal(end_time=FUTURE)
    return Case(staff(), f"/api/v1/proposals/{proposal}/vote", proposal, json={"vote": True},
                before={"status": "Active", "votes_for": 0})


def c_execute_proposal() -> Case:
    proposal = world.proposal(end_time=PAST)
    return Case(staff(on_chain=False), f"/api/v1/proposals/{proposal}/execute", proposal,
                before={"status": "Active"})


def c_update_user() -> Case:
    u = world.user()
    return Case(staff(), f"/api/v1/users/{u.profile_id}", u.profile_id,
                json={"firstName": "Renamed"}, before={"first_name": "Test"})


def c_submit_kyc() -> Case:
    u = kyc_user()
    return Case(staff(), f"/api/v1/users/{u.profile_id}/kyc", u.profile_id,
                json={"evidenceHash": secrets.token_hex(32), "evidenceSize": 2048,
                      "evidenceMime": "application/pdf"},
                before={"profile": {"status": "REGISTERED"}, "latestKyc": None})


def c_get_kyc_document() -> Case:
    kyc_id = pending_kyc(document=True)
    return Case(staff(), f"/api/v1/admin/kyc/{kyc_id}/document", kyc_id,
                before={"status": "PENDING", "evidence_mime": "application/pdf"})


def c_approve_kyc() -> Case:
    kyc_id = pending_kyc()
    return Case(staff(), f"/api/v1/admin/kyc/{kyc_id}/approve", kyc_id,
                json={"notes": "passport checked"},
                before={"status": "PENDING", "profile_status": "PENDING_ADMIN_APPROVAL"})


def c_reject_kyc() -> Case:
    kyc_id = pending_kyc()
    return Case(staff(), f"/api/v1/admin/kyc/{kyc_id}/reject", kyc_id,
                json={"reason": "document unreadable"}, before={"status": "PENDING"})


def c_apply_for_loan() -> Case:
    admin = staff(trust=80)
    return Case(admin, "/api/v1/loans", admin.profile_id,
                json={"amount": str(100 * GX), "collateralHash": "ab" * 32})


def c_approve_loan() -> Case:
    loan = world.loan(world.user(trust=80), amount=200 * GX)
    return Case(staff(on_chain=False), f"/api/v1/loans/{loan}/approve", loan,
                before={"status": "PendingApproval", "amount": 200 * GX})


def c_repay_loan() -> Case:
    admin = staff(trust=80, balance=500 * GX)
    loan = world.loan(admin, amount=200 * GX, status="Active")
    return Case(admin, f"/api/v1/loans/{loan}/repay", loan, before={"status": "Active"})


def c_propose_organization() -> Case:
    admin, b = staff(), world.user()
    return Case(admin, "/api/v1/organizations", None,  # the id comes back in the reply
                json={"orgName": "Audit Co", "orgType": "BUSINESS",
                      "stakeholderIds": [admin.profile_id, b.profile_id]})


def c_endorse_organization() -> Case:
    admin, b = staff(), world.user()
    org = world.organization([admin, b])
    return Case(admin, f"/api/v1/organizations/{org}/endorse", org,
                before={"status": "PendingEndorsement", "endorsed_by": []})


def c_activate_organization() -> Case:
    a, b = world.user(), world.user()
    org = world.organization([a, b], endorsed=[a, b])
    return Case(staff(chain_admin=True), f"/api/v1/organizations/{org}/activate", org,
                before={"status": "PendingEndorsement"})


def c_define_auth_rule() -> Case:
    admin, b = staff(), world.user()
    org = world.organization([admin, b], endorsed=[admin, b], status="Verified")
    rule = {"amountThreshold": str(10 * GX), "requiredApprovers": 2,
            "approverGroup": [admin.profile_id, b.profile_id]}
    return Case(admin, f"/api/v1/organizations/{org}/rules", org, json={"rule": rule},
                before={"status": "Verified", "auth_rules": {}})


def c_initiate_multisig_transaction() -> Case:
    admin, b, c = staff(), world.user(), world.user()
    rules = [{"amountThreshold": 10 * GX, "requiredApprovers": 2,
              "approverGroup": [admin.chain_id, b.chain_id]}]
    org = world.organization([admin, b, c], endorsed=[admin, b, c], status="Verified",
                             rules=rules)
    return Case(admin, f"/api/v1/organizations/{org}/transactions", org,
                json={"toUserId": c.profile_id, "amount": str(50 * GX), "remark": "supplies"},
                before={"status": "Verified"})


def c_approve_multisig_transaction() -> Case:
    a, admin, c = world.user(), staff(), world.user()
    org = world.organization([a, admin, c], endorsed=[a, admin, c], status="Verified")
    tx = world.multisig(org, to_id=c.chain_id, amount=50 * GX,  # type: ignore[arg-type]
                        group=[a, admin], required=2, approvals=[a])
    return Case(admin, f"/api/v1/transactions/{tx}/approve", tx,
                before={"status": "Pending", "approved_by": [a.chain_id]})


def c_request_relationship() -> Case:
    other = world.user()
    return Case(staff(), "/api/v1/relationships", other.profile_id,
                json={"objectId": other.profile_id, "type": "FRIEND_OF"})


def _relationship_to(admin: world.User) -> str:
    return world.relationship(world.user(), admin, "FRIEND_OF", "PendingConfirmation")


def c_confirm_relationship() -> Case:
    admin = staff()
    rel = _relationship_to(admin)
    return Case(admin, f"/api/v1/relationships/{rel}/confirm", rel,
                before={"status": "PendingConfirmation", "object_id": admin.chain_id})


def c_reject_relationship() -> Case:
    admin = staff()
    rel = _relationship_to(admin)
    return Case(admin, f"/api/v1/relationships/{rel}/reject", rel,
                before={"status": "PendingConfirmation"})


def c_create_transfer() -> Case:
    admin, other = staff(balance=1000 * GX), world.user()
    return Case(admin, "/api/v1/transfers", admin.profile_id,
                json={"toUserId": other.profile_id, "amount": str(GX)},
                before={"balance": 1000 * GX, "frozen": False})


def c_distribute_genesis() -> Case:
    u = world.user()
    return Case(staff("SUPER_ADMIN"), "/api/v1/genesis", u.profile_id,
                json={"userId": u.profile_id}, before={"status": "ACTIVE", "genesis": None})


def c_freeze_wallet() -> Case:
    u = world.user(balance=10 * GX)
    return Case(staff(), f"/api/v1/wallets/{u.profile_id}/freeze", u.profile_id,
                json={"reason": "suspicious activity"}, before={"frozen": False})


def c_unfreeze_wallet() -> Case:
    u = world.user(balance=10 * GX)
    account_row(u, frozen=True, frozen_reason="investigation")
    return Case(staff(), f"/api/v1/wallets/{u.profile_id}/unfreeze", u.profile_id,
                before={"frozen": True, "frozen_reason": "investigation"})


def c_apply_velocity_tax() -> Case:
    u = world.user(balance=1000 * GX)
    account_row(u, velocity_timer_start=date.today() - timedelta(days=400))
    return Case(staff(), "/api/v1/velocity-tax/apply", u.chain_id,
                json={"accountId": u.chain_id},
                before={"balance": 1000 * GX, "eligible": True})


CASES: dict[str, Callable[[], Case]] = {
    name[2:]: case for name, case in globals().items() if name.startswith("c_")
}
AUDITED = sorted(s.name for s in http_functions() if s.audited)


def test_the_audited_routes_are_every_staff_write_and_the_declared_reads() -> None:
    expected = {s.name for s in http_functions()
                if s.auth != "public" and (s.method != "GET" or s.audit is not None)}
    assert set(AUDITED) == expected
    assert {"approve_loan", "submit_proposal", "update_user", "submit_kyc",
            "get_kyc_document"} <= set(AUDITED)  # the findings of the audit
    assert set(CASES) <= set(AUDITED), "a case for a route that is not audited"


@pytest.mark.parametrize("name", AUDITED)
def test_every_audit_contract_resolves(name: str) -> None:
    spec = get_spec(name)
    assert spec.audit is not None
    if spec.audit.before:
        assert callable(resolve(spec.audit.before))
    if spec.audit.target and spec.audit.target.startswith("body:"):
        model = resolve(spec.request_model)
        assert spec.audit.target[5:] in {f.alias or n for n, f in model.model_fields.items()}


def head_seq() -> int:
    row = db.fetch_one("SELECT coalesce(max(seq), 0) AS seq FROM audit_log")
    return int(row["seq"])  # type: ignore[index]


def records_since(seq: int) -> list[dict[str, Any]]:
    return db.fetch_all("SELECT * FROM audit_log WHERE seq > %s ORDER BY seq", (seq,))


def expected_request(spec: Any, case: Case) -> Any:
    if spec.method == "GET":
        query = case.path.partition("?")[2]
        return dict(p.split("=", 1) for p in query.split("&")) if query else None
    if spec.request_model is None:
        return case.json
    model = resolve(spec.request_model)
    return model.model_validate(case.json or {}).model_dump(mode="json", by_alias=True,
                                                            exclude_unset=True)


def assert_shows(expected: dict[str, Any], actual: Any) -> None:
    for key, value in expected.items():
        if isinstance(value, dict) and value:
            assert_shows(value, actual[key])
        else:
            assert actual[key] == value, (key, actual)


@pytest.mark.parametrize("name", AUDITED)
def test_each_successful_staff_call_writes_exactly_one_record(name: str) -> None:
    spec = get_spec(name)
    assert name in CASES, (
        f"{name} is a route a staff member's call is audited on, but this test has no case that"
        " calls it successfully: add c_{name} (the list of routes comes from the registry)")
    case = CASES[name]()
    try:
        mark = head_seq()
        resp = case.caller.call(name, spec.method, case.path, json=case.json)
        assert 200 <= resp.status_code < 300, resp.get_data(as_text=True)
        reply = resp.get_json()
        rows = records_since(mark)
        assert len(rows) == 1, [r["event_type"] for r in rows]
        (row,) = rows
    finally:
        case.cleanup()
    contract = spec.audit
    assert row["actor_id"] == case.caller.profile_id
    assert row["actor_role"] == case.caller.role
    assert row["event_type"] == (contract.action or name.upper())
    assert row["target_type"] == contract.target_type
    target = reply["orgId"] if contract.target == "reply:orgId" else case.target
    assert row["target_id"] == target
    if contract.before:
        assert row["previous_value"] is not None
        assert_shows(case.before, row["previous_value"])
    else:
        assert row["previous_value"] is None
    assert row["new_value"]["request"] == expected_request(spec, case)
    if spec.command:
        assert row["new_value"]["reply"]["commandId"] == reply["commandId"]
    for path in contract.reply:
        assert row["new_value"]["reply"][path] == audit_calls.pick(reply, path)
    assert row["metadata"]["requestId"] == resp.headers["X-Request-Id"]
    assert row["metadata"]["function"] == name and row["metadata"]["status"] == resp.status_code
    assert row["hash_version"] == audit.HASH_VERSION


# --- the rule's edges ----------------------------------------------------------------------


def test_a_refused_staff_call_writes_nothing() -> None:
    loan = world.loan(world.user(trust=80), amount=200 * GX)
    admin = staff(on_chain=False)
    path = f"/api/v1/loans/{loan}/approve"
    assert admin.call("approve_loan", "POST", path).status_code == 202
    mark = head_seq()
    again = admin.call("approve_loan", "POST", path)
    assert again.status_code == 409 and again.get_json()["code"] == "APPROVAL_PENDING"
    missing = admin.call("update_user", "PATCH", f"/api/v1/users/{uuid.uuid4()}",
                         json={"firstName": "Nobody"})
    assert missing.status_code == 404
    assert records_since(mark) == []


def test_an_idempotent_replay_writes_no_second_record() -> None:
    u = world.user(balance=10 * GX)
    headers = {**bearer(sub=str(uuid.uuid4()), role="ADMIN"),
               "Idempotency-Key": f"audit-replay-{uuid.uuid4()}"}
    mark = head_seq()
    client = client_for("freeze_wallet")
    path = f"/api/v1/wallets/{u.profile_id}/freeze"
    first = client.post(path, json={"reason": "suspicious activity"}, headers=headers)
    second = client.post(path, json={"reason": "suspicious activity"}, headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.headers["Idempotent-Replayed"] == "true"
    assert [r["event_type"] for r in records_since(mark)] == ["WALLET_FREEZE_REQUESTED"]


@pytest.mark.parametrize("role", ["USER", "PARTNER_API"])
def test_users_and_the_partner_identity_are_not_audited(role: str) -> None:
    u = world.user(role=role)
    mark = head_seq()
    resp = u.call("update_user", "PATCH", f"/api/v1/users/{u.profile_id}",
                  json={"lastName": "Changed"})
    assert resp.status_code == 200
    assert records_since(mark) == []


def test_an_admins_document_upload_for_a_user_is_recorded_with_the_file() -> None:
    u, admin = kyc_user(), staff()
    mark = head_seq()
    resp = client_for("submit_kyc").post(
        f"/api/v1/users/{u.profile_id}/kyc", headers=admin.headers,
        data={"document": (io.BytesIO(PDF + b"audit"), "passport.pdf")},
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    (row,) = records_since(mark)
    assert row["event_type"] == "KYC_SUBMITTED" and row["target_id"] == u.profile_id
    assert row["new_value"]["request"] == {
        "files": {"document": {"filename": "passport.pdf", "contentType": "application/pdf"}}}
    assert row["new_value"]["reply"]["kycRecord.kycId"] == resp.get_json()["kycRecord"]["kycId"]


@pytest.fixture
def audit_lock_times_out(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The chain's lock held elsewhere, and functions that give up waiting after 300 ms: the
    audit record of the next staff call cannot be written (a real failure, no stand-in)."""
    url = os.environ["GX_DATABASE_URL"]
    dsn = psycopg.conninfo.make_conninfo(url, application_name="gx-audit-lock-test")
    monkeypatch.setenv("GX_DATABASE_URL", dsn)
    monkeypatch.setenv("GX_DB_STATEMENT_TIMEOUT_MS", "300")
    reset_settings()
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (audit._CHAIN_LOCK,))
        try:
            yield
        finally:
            db.get_pool(dsn).close()
            monkeypatch.undo()
            reset_settings()


@pytest.mark.usefixtures("audit_lock_times_out")
def test_a_call_whose_record_cannot_be_written_commits_nothing() -> None:
    u = world.user(balance=10 * GX)
    admin = staff("SUPER_ADMIN")
    frozen = admin.call("freeze_wallet", "POST", f"/api/v1/wallets/{u.profile_id}/freeze",
                        json={"reason": "suspicious activity"})
    assert frozen.status_code == 503, frozen.get_json()
    held = admin.call("hold_outbox", "PUT", "/api/v1/admin/outbox/hold",
                      json={"reason": "chaincode upgrade in progress"})
    assert held.status_code == 503, held.get_json()
    assert world.commands(admin, "FREEZE_WALLET") == []
    assert db.fetch_one("SELECT 1 AS held FROM outbox_hold") is None


def test_the_runs_chain_verifies_against_the_anchor_the_scheduled_function_writes() -> None:
    """Everything this run audited so far forms one intact chain, and the PingSource target
    anchors its head where `verify_anchored` finds it."""
    headers = {"ce-id": str(uuid.uuid4()), "ce-source": "/apis/v1/namespaces/gx/pingsources/x",
               "ce-type": "dev.knative.sources.ping", "ce-specversion": "1.0",
               "Content-Type": "application/json"}
    resp = client_for("anchor_audit").post("/", data=b"{}", headers=headers)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with db.connection() as conn:
        head = audit.head(conn)
        result = audit.verify_anchored(conn)
    assert head is not None and head in {audit.Anchor(a.seq, a.event_hash)
                                         for a in audit.anchors()}
    assert result.ok, result.problems
    assert result.rows == head.seq and result.anchors >= 1
