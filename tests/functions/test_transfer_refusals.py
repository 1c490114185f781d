"""POST /api/v1/transfers refuses up front, from the read models, in a fixed order: the sender
first (it must exist, be ACTIVE and on chain), then the recipient (a user must be on chain)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest

from shared import db
from tests.helpers import bearer, client_for


@pytest.fixture(autouse=True)
def not_paused() -> Iterator[None]:
    """Other modules project a SystemPaused into this database; these checks come after the
    pause check, so run them with the system active and put the row back afterwards."""
    before = db.fetch_one("SELECT * FROM rm_system_status WHERE tenant_id = 'default'")
    db.execute("UPDATE rm_system_status SET status = 'ACTIVE' WHERE tenant_id = 'default'")
    yield
    if before is not None:
        db.execute("UPDATE rm_system_status SET status = %s WHERE tenant_id = 'default'",
                   (before["status"],))


def profile(status: str, *, on_chain: bool) -> str:
    row = db.fetch_one(
        "INSERT INTO user_profiles (first_name, last_name, status, fabric_user_id)"
        " VALUES ('Test', 'Person', %s, %s) RETURNING profile_id",
        (status, f"TST-{secrets.token_hex(6)}" if on_chain else None))
    assert row is not None
    return str(row["profile_id"])


def transfer(sender: str, to: str):  # type: ignore[no-untyped-def]
    return client_for("create_transfer").post(
        "/api/v1/transfers", json={"toUserId": to, "amount": "1000"},
        headers={**bearer(sender), "Idempotency-Key": f"refusal-{uuid.uuid4()}"})


def test_an_inactive_sender_is_refused_before_the_recipient_is_looked_at() -> None:
    pending = profile("PENDING_ADMIN_APPROVAL", on_chain=False)
    off_chain = profile("APPROVED_PENDING_ONCHAIN", on_chain=False)
    resp = transfer(pending, off_chain)
    assert resp.status_code == 409 and resp.get_json()["code"] == "SENDER_NOT_ACTIVE"


def test_a_recipient_not_yet_on_chain_is_404() -> None:
    sender = profile("ACTIVE", on_chain=True)
    off_chain = profile("APPROVED_PENDING_ONCHAIN", on_chain=False)
    resp = transfer(sender, off_chain)
    assert resp.status_code == 404 and resp.get_json()["code"] == "RECIPIENT_NOT_ON_CHAIN"


def test_an_unknown_sender_is_404() -> None:
    resp = transfer(str(uuid.uuid4()), str(uuid.uuid4()))
    assert resp.status_code == 404 and resp.get_json()["code"] == "USER_NOT_FOUND"


@pytest.mark.parametrize("spelling", [
    "urn:uuid:{}",  # Python's uuid.UUID takes these; PostgreSQL's uuid type does not
    "{{{}",
])
def test_an_id_spelt_in_a_form_postgresql_rejects_is_still_the_same_user(spelling: str) -> None:
    sender = profile("ACTIVE", on_chain=True)
    off_chain = profile("APPROVED_PENDING_ONCHAIN", on_chain=False)
    resp = transfer(sender, spelling.format(off_chain))
    assert resp.status_code == 404 and resp.get_json()["code"] == "RECIPIENT_NOT_ON_CHAIN"


@pytest.mark.parametrize("account", ["treasury_ZZ", "SYSTEM_NO_SUCH_POOL"])
def test_a_treasury_or_pool_the_chain_never_created_is_refused_at_accept(account: str) -> None:
    sender = profile("ACTIVE", on_chain=True)
    resp = transfer(sender, account)
    assert resp.status_code == 404 and resp.get_json()["code"] == "ACCOUNT_NOT_FOUND"
    assert db.fetch_one("SELECT 1 FROM outbox_commands WHERE principal_id = %s", (sender,)) is None
