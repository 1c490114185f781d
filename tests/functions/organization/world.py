"""Read-model state for the issue-10 function tests, written through the projections' own
writers (shared.readmodels), as the projectors would after the chain's events.

Every user is a real profile row (ACTIVE, registered on chain unless asked otherwise) with its
chain user and trust score; the tests then call the functions through their functions-framework
apps with that user's token, and read the outbox rows the commands produced.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from shared import db
from shared.events.cloudevent import ChainRecord
from shared.readmodels import accounts, governance, loans, organizations, system
from tests.helpers import bearer, client_for

_positions = itertools.count(10_000_000 + secrets.randbelow(1_000_000) * 100)


def record() -> ChainRecord:
    """A fresh chain position (later than any before it in this run)."""
    block = next(_positions)
    return ChainRecord(id=uuid.uuid4().hex, type="test", name="Test", source="/test",
                       time=datetime.now(UTC), block_number=block, tx_index=0,
                       tx_id=uuid.uuid4().hex, payload={})


class User:
    def __init__(self, profile_id: str, chain_id: str | None, role: str) -> None:
        self.profile_id = profile_id
        self.chain_id = chain_id
        self.role = role
        self.headers = bearer(sub=profile_id, role=role)
        self.ip = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"

    def call(self, name: str, method: str, path: str, *, json: Any = None,
             key: bool = True) -> Any:
        headers = dict(self.headers)
        if key and method == "POST":
            headers["Idempotency-Key"] = f"fn-test-{uuid.uuid4()}"
        kw: dict[str, Any] = {"headers": headers, "environ_base": {"REMOTE_ADDR": self.ip}}
        if json is not None:
            kw["json"] = json
        return getattr(client_for(name), method.lower())(path, **kw)


def user(*, status: str = "ACTIVE", on_chain: bool = True, role: str = "USER",
         trust: int = 10, balance: int = 0, chain_admin: bool = False) -> User:
    profile_id = str(uuid.uuid4())
    chain_id = f"NG T{secrets.token_hex(4).upper()}" if on_chain else None
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO user_profiles (profile_id, email, first_name, last_name,"
            " nationality_country_code, role, status, fabric_user_id, onchain_status)"
            " VALUES (%s, %s, 'Test', 'User', 'NG', %s, %s, %s, %s)",
            (profile_id, f"{profile_id[:12]}@example.org", role, status, chain_id,
             "ACTIVE" if on_chain else "NOT_REGISTERED"))
        if chain_id is not None:
            rec = record()
            system.user_registered(conn, rec, user_id=chain_id, nationality="NG", age=30,
                                   status="Active", trust_score=trust)
            if balance:
                accounts.post(conn, rec, [accounts.Entry(chain_id, "GENESIS", balance,
                                                         "SYSTEM_USER_GENESIS_POOL", 0, "test")])
            if chain_admin:
                system.admin_appointed(conn, rec, admin_id=chain_id)
    return User(profile_id, chain_id, role)


def organization(members: list[User], *, status: str = "PendingEndorsement",
                 endorsed: list[User] = (),  # type: ignore[assignment]
                 rules: list[dict[str, Any]] = (),  # type: ignore[assignment]
                 balance: int = 0) -> str:
    org_id = f"ORG_{uuid.uuid4().hex[:12]}"
    with db.transaction() as conn:
        organizations.org_proposed(conn, record(), org_id=org_id, name="Test Org",
                                   org_type="BUSINESS", country="NG",
                                   stakeholders=[m.chain_id for m in members])  # type: ignore[misc]
        for member in endorsed:
            organizations.endorsed(conn, record(), org_id=org_id, user_id=member.chain_id)  # type: ignore[arg-type]
        for index, rule in enumerate(rules):
            organizations.rule_defined(conn, record(), org_id=org_id, index=index, rule=rule)
        if status != "PendingEndorsement":
            organizations.org_status(conn, record(), org_id=org_id, status=status,
                                     activated=status == "Verified")
        if balance:
            accounts.post(conn, record(), [accounts.Entry(org_id, "RECEIVED", balance,
                                                          "someone", 0, "funding")])
    return org_id


def multisig(org_id: str, *, to_id: str, amount: int, group: list[User], required: int,
             approvals: list[User], status: str = "Pending") -> str:
    pending_id = f"PENDING_TX_{uuid.uuid4()}"
    with db.transaction() as conn:
        rec = record()
        organizations.multisig(
            conn, rec, pending_tx_id=pending_id, org_id=org_id, status=status, to_id=to_id,
            amount=amount, remark="", initiator_id=approvals[0].chain_id if approvals else None,
            required_approvals=required, approver_group=[g.chain_id for g in group],  # type: ignore[misc]
            initiated=True)
        organizations.approvals(conn, rec, pending_tx_id=pending_id,
                                approver_ids=[a.chain_id for a in approvals])  # type: ignore[misc]
    return pending_id


def loan(borrower: User, *, amount: int, status: str = "PendingApproval") -> str:
    loan_id = f"LOAN_{uuid.uuid4()}"
    with db.transaction() as conn:
        loans.loan(conn, record(), loan_id=loan_id, status=status, borrower_id=borrower.chain_id,
                   amount=amount, collateral_hash="a" * 64, applied=True)
    return loan_id


def proposal(*, target: str = "maxLoanDurationDays", value: str | None = None,
             end_time: datetime, status: str = "Active") -> str:
    proposal_id = f"PROP_{uuid.uuid4()}"
    with db.transaction() as conn:
        governance.proposal(conn, record(), proposal_id=proposal_id, status=status,
                            target_param=target,
                            new_value=value or str(100 + secrets.randbelow(3000)),
                            proposer_id="admin", end_time=end_time, submitted=True)
    return proposal_id


def voted(proposal_id: str, voter: User, support: bool) -> None:
    with db.transaction() as conn:
        governance.vote(conn, record(), proposal_id=proposal_id, voter_id=voter.chain_id,  # type: ignore[arg-type]
                        support=support)


def relationship(subject: User, obj: User, rel_type: str, status: str) -> str:
    rel_id = f"REL_{uuid.uuid4()}"
    with db.transaction() as conn:
        system.relationship(conn, record(), relationship_id=rel_id, subject_id=subject.chain_id,  # type: ignore[arg-type]
                            object_id=obj.chain_id, rel_type=rel_type, status=status)  # type: ignore[arg-type]
    return rel_id


def commands(principal: User, command_type: str) -> list[dict[str, Any]]:
    """The outbox commands `principal` produced of `command_type`, oldest first."""
    return db.fetch_all(
        "SELECT id, request_id, aggregate_key, payload, status FROM outbox_commands"
        " WHERE principal_id = %s AND command_type = %s ORDER BY aggregate_seq",
        (principal.profile_id, command_type))


def problem(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    body = resp.get_json()
    assert resp.status_code == status, body
    assert resp.mimetype == "application/problem+json"
    if code is not None:
        assert body["code"] == code, body
    return dict(body)


def accepted(resp: Any) -> dict[str, Any]:
    body = resp.get_json()
    assert resp.status_code == 202, body
    assert resp.headers["Location"] == f"/api/v1/commands/{body['commandId']}"
    return dict(body)
