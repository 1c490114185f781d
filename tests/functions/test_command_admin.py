"""Admin: list dead commands and re-drive one, through the registered functions; both audited."""

from __future__ import annotations

import uuid

import pytest

from shared import db
from shared.outbox import Command, enqueue
from tests.helpers import bearer, client_for
from tests.integration.outbox.sample_commands import (
    PARAM,
    SET_PARAM,
    TEST_CATALOGUE,
    sample_commands_cleanup,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.usefixtures("sample_commands_cleanup")


def dead_command() -> str:
    with db.transaction() as conn:
        cid = enqueue(
            conn,
            Command(SET_PARAM, {"stream": f"s{uuid.uuid4().hex[:6]}", "paramId": PARAM,
                                "newValue": "3"}, principal_id="someone"),
            catalogue=TEST_CATALOGUE,
        ).id
        # What the submitter writes when attempts run out.
        conn.execute("DELETE FROM outbox_queue WHERE command_id = %s", (cid,))
        conn.execute(
            "UPDATE outbox_commands SET status = 'DEAD', attempts = 5, error_code = 'UNAVAILABLE',"
            " error_message = 'ledger down', finished_at = now(), updated_at = now() WHERE id = %s",
            (cid,),
        )
    return cid


def audit_rows(event_type: str, actor: str) -> list[dict]:  # type: ignore[type-arg]
    return db.fetch_all(
        "SELECT * FROM audit_log WHERE event_type = %s AND actor_id = %s", (event_type, actor)
    )


def test_admin_lists_dead_commands_with_paging_and_is_audited() -> None:
    ids = [dead_command() for _ in range(3)]
    admin = str(uuid.uuid4())
    client = client_for("list_dead_commands")
    first = client.get("/api/v1/admin/commands/dead?limit=2", headers=bearer(admin, "ADMIN"))
    assert first.status_code == 200, first.get_data(as_text=True)
    page = first.get_json()
    assert len(page["items"]) == 2 and page["nextCursor"]
    item = page["items"][0]
    assert item["type"] == SET_PARAM and item["attempts"] == 5
    assert item["error"] == {"code": "UNAVAILABLE", "message": "ledger down"}
    seen = [i["commandId"] for i in page["items"]]
    while page["nextCursor"]:
        page = client.get("/api/v1/admin/commands/dead",
                          query_string={"limit": 2, "cursor": page["nextCursor"]},
                          headers=bearer(admin, "ADMIN")).get_json()
        seen += [i["commandId"] for i in page["items"]]
    assert set(ids) <= set(seen) and len(seen) == len(set(seen))
    assert len(audit_rows("DEAD_COMMANDS_LISTED", admin)) >= 2


def test_users_cannot_list_or_retry() -> None:
    cid = dead_command()
    assert client_for("list_dead_commands").get(
        "/api/v1/admin/commands/dead", headers=bearer()).status_code == 403
    assert client_for("retry_command").post(
        f"/api/v1/admin/commands/{cid}/retry", headers=bearer()).status_code == 403


def test_retry_redrives_a_dead_command_once_and_is_audited() -> None:
    cid = dead_command()
    admin = str(uuid.uuid4())
    client = client_for("retry_command")
    resp = client.post(f"/api/v1/admin/commands/{cid}/retry", headers=bearer(admin, "ADMIN"))
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert resp.headers["Location"] == f"/api/v1/commands/{cid}"
    assert resp.get_json()["commandId"] == cid and resp.get_json()["status"] == "PENDING"
    row = db.fetch_one(
        "SELECT c.status, c.attempts, c.error_code, q.command_id AS queued FROM outbox_commands c"
        " LEFT JOIN outbox_queue q ON q.command_id = c.id WHERE c.id = %s", (cid,)
    )
    assert row == {"status": "PENDING", "attempts": 0, "error_code": None, "queued": cid}
    (audit,) = audit_rows("COMMAND_REDRIVEN", admin)
    assert audit["target_id"] == cid and audit["previous_value"]["status"] == "DEAD"
    again = client.post(f"/api/v1/admin/commands/{cid}/retry", headers=bearer(admin, "ADMIN"))
    assert again.status_code == 409 and again.get_json()["code"] == "COMMAND_NOT_DEAD"
    missing = client.post(f"/api/v1/admin/commands/{uuid.uuid4()}/retry",
                          headers=bearer(admin, "ADMIN"))
    assert missing.status_code == 404


def test_malformed_cursor_is_422() -> None:
    resp = client_for("list_dead_commands").get(
        "/api/v1/admin/commands/dead?cursor=not-a-cursor", headers=bearer(role="ADMIN"))
    assert resp.status_code == 422
