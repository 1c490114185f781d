"""`gx admin create` and the bootstrap-admin startup step."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from shared import db
from shared.config import Settings
from shared.runtime.startup import bootstrap_admin
from tests.functions.identity.conftest import Api


def test_cli_creates_an_active_admin_that_can_log_in() -> None:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.org"
    proc = subprocess.run(
        [sys.executable, "-m", "shared.cli", "admin", "create", "--email", email,
         "--role", "SUPER_ADMIN"],
        input="Adm1nPassword\n", capture_output=True, text=True, env=os.environ.copy(), timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    row = db.fetch_one("SELECT profile_id, role, status FROM user_profiles WHERE email = %s",
                       (email,))
    assert row is not None and (row["role"], row["status"]) == ("SUPER_ADMIN", "ACTIVE")
    audited = db.fetch_one("SELECT actor_id, actor_role, new_value FROM audit_log"
                           " WHERE event_type = 'ACCOUNT_PROVISIONED' AND target_id = %s",
                           (str(row["profile_id"]),))
    assert audited is not None and audited["actor_id"].startswith("cli:")
    assert audited["actor_role"] == "OPERATOR"
    assert audited["new_value"] == {"email": email, "role": "SUPER_ADMIN"}
    tokens = Api().login(email, "Adm1nPassword").get_json()
    assert tokens["user"]["role"] == "SUPER_ADMIN"


def test_cli_refuses_a_weak_password() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "shared.cli", "admin", "create", "--email", "weak@example.org"],
        input="short\n", capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1 and "password" in proc.stderr


def test_startup_step_creates_once_and_never_resets() -> None:
    email = f"boot-{uuid.uuid4().hex[:8]}@example.org"
    settings = Settings(bootstrap_admin_email=email, bootstrap_admin_password="B00tstrapPass")
    assert "created" in bootstrap_admin.run(settings)
    assert db.fetch_one(
        "SELECT a.actor_id FROM audit_log a JOIN user_profiles p ON a.target_id = p.profile_id::text"
        " WHERE a.event_type = 'ACCOUNT_PROVISIONED' AND p.email = %s", (email,)
    ) == {"actor_id": "startup:bootstrap_admin"}
    again = Settings(bootstrap_admin_email=email, bootstrap_admin_password="Different1Pass")
    assert "exists" in bootstrap_admin.run(again)
    assert Api().login(email, "B00tstrapPass").status_code == 200
    assert bootstrap_admin.run(Settings()).startswith("skipped")
