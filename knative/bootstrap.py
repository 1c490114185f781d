"""Cluster bootstrap steps, run as ordered Jobs (knative/deploy/base/bootstrap.yaml):

    gx migrate -> gx seed -> python -m knative.bootstrap storage -> ... ledger -> ... admin

`ledger` bootstraps a fresh Fabric network once, through the normal command path: it puts the
same commands `gx dev` uses (shared/runtime/startup/ledger_bootstrap.py: BootstrapSystem, the
country data, each treasury) in the outbox under fixed business request ids and waits for the
cluster's submitter (submit_command / sweep_outbox) to confirm each stage, so only the submitter
ever talks to the peers. Guarded twice: a ledger the read side already shows as bootstrapped is
left alone, and the request ids make a re-run find the first commands instead of adding new ones.

`storage` makes the KYC bucket encrypted at rest by default (SSE-S3 with the tenant's KMS key)
and gives it its retention rule: documents expire KYC_RETENTION_DAYS after upload (the legal
keeping period for identity evidence); re-applying both is a no-op.

`admin` creates the first SUPER_ADMIN from GX_BOOTSTRAP_ADMIN_EMAIL / _PASSWORD (the Secret
gx-bootstrap-admin) once; an existing account is never changed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

STAGE_BUDGET_S = 600.0
KYC_RETENTION_DAYS = 5 * 365
_DONE = ("CONFIRMED", "REJECTED", "DEAD")


def _enqueue_and_wait(commands: list[tuple[str, dict[str, Any], str]], budget_s: float) -> int:
    from shared import db
    from shared.outbox import Command, enqueue

    with db.transaction() as conn:
        cmds = [
            enqueue(conn, Command(type=t, payload=p, request_id=rid, service="admin"))
            for t, p, rid in commands
        ]
    ids = [c.id for c in cmds]
    deadline = time.monotonic() + budget_s
    while True:
        rows = db.fetch_all(
            "SELECT command_type, status, error_code, error_message FROM outbox_commands"
            " WHERE id = ANY(%s)",
            (ids,),
        )
        if all(r["status"] in _DONE for r in rows):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"ledger bootstrap stalled: is the submitter running? {rows}")
        time.sleep(1.0)  # the submitter is woken by command.enqueued, else the minute sweep
    failed = [
        r for r in rows
        if r["status"] != "CONFIRMED"
        and r["error_code"] not in ("ALREADY_BOOTSTRAPPED", "ALREADY_EXISTS")
    ]  # fmt: skip
    if failed:
        raise SystemExit(f"ledger bootstrap failed: {failed[0]}")
    return sum(c.created for c in cmds)


def ledger(budget_s: float = STAGE_BUDGET_S) -> str:
    from shared import db
    from shared.admin.service import countries_payload
    from shared.config import get_settings

    row = db.fetch_one(
        "SELECT bootstrapped_at FROM rm_system_status WHERE tenant_id = %s",
        (get_settings().tenant,),
    )
    if row is not None and row["bootstrapped_at"] is not None:
        return "ledger already bootstrapped: nothing to do"
    new = _enqueue_and_wait([("BOOTSTRAP_SYSTEM", {}, "bootstrap")], budget_s)
    payload, request_id = countries_payload(None)
    new += _enqueue_and_wait([("INITIALIZE_COUNTRY_DATA", payload, request_id)], budget_s)
    codes = [
        r["country_code"]
        for r in db.fetch_all(
            "SELECT country_code FROM countries WHERE allocation_share IS NOT NULL ORDER BY 1"
        )
    ]
    new += _enqueue_and_wait(
        [("ACTIVATE_TREASURY", {"countryCode": c}, f"activate-treasury:{c}") for c in codes],
        budget_s,
    )
    return f"ledger bootstrapped ({new} new commands)"


def storage() -> str:
    from minio.commonconfig import ENABLED, Filter
    from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule
    from minio.sseconfig import Rule as SseRule
    from minio.sseconfig import SSEConfig

    from shared import storage as store
    from shared.config import get_settings

    bucket = get_settings().s3_bucket
    store._ensure_bucket(bucket, os.getpid())
    client = store._client()
    client.set_bucket_encryption(bucket, SSEConfig(SseRule.new_sse_s3_rule()))
    client.set_bucket_lifecycle(
        bucket,
        LifecycleConfig(
            [
                Rule(
                    ENABLED,
                    rule_filter=Filter(prefix=""),
                    rule_id="kyc-retention",
                    expiration=Expiration(days=KYC_RETENTION_DAYS),
                )
            ]
        ),
    )
    return f"bucket {bucket}: SSE-S3 by default, objects expire after {KYC_RETENTION_DAYS} days"


def admin() -> str:
    from shared.config import get_settings
    from shared.runtime.startup import bootstrap_admin

    settings = get_settings()
    if not settings.bootstrap_admin_email or not settings.bootstrap_admin_password:
        raise SystemExit("GX_BOOTSTRAP_ADMIN_EMAIL / GX_BOOTSTRAP_ADMIN_PASSWORD are not set")
    return bootstrap_admin.run(settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knative.bootstrap")
    parser.add_argument("step", choices=["storage", "ledger", "admin"])
    args = parser.parse_args(argv)
    print({"storage": storage, "ledger": ledger, "admin": admin}[args.step]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
