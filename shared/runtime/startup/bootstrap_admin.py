"""Startup step: the bootstrap operator from GX_BOOTSTRAP_ADMIN_EMAIL / GX_BOOTSTRAP_ADMIN_PASSWORD.

Created once as an ACTIVE SUPER_ADMIN when both variables are set and no account has that email;
an existing account is left exactly as it is (its password is never reset from the environment).
"""

from __future__ import annotations

from shared.config import Settings

ORDER = 20


def run(settings: Settings) -> str:
    if not settings.bootstrap_admin_email or not settings.bootstrap_admin_password:
        return "skipped (GX_BOOTSTRAP_ADMIN_EMAIL / _PASSWORD not set)"
    from shared import db
    from shared.identity.service import create_account

    with db.transaction() as conn:
        if conn.execute(
            "SELECT 1 FROM user_profiles WHERE lower(email) = lower(%s)",
            (settings.bootstrap_admin_email,),
        ).fetchone():
            return f"{settings.bootstrap_admin_email} exists"
        create_account(
            email=settings.bootstrap_admin_email, password=settings.bootstrap_admin_password,
            role="SUPER_ADMIN", first_name="Bootstrap", last_name="Administrator", conn=conn,
            provisioned_by="startup:bootstrap_admin",
        )
    return f"created SUPER_ADMIN {settings.bootstrap_admin_email}"
