"""Startup step: bootstrap a fresh embedded ledger once, through the normal command path.

BootstrapSystem, then InitializeCountryData for every seeded country, then ActivateTreasuryAccount
for each: commands are put in the outbox with business request ids (so a restart finds them and
repeats nothing) and submitted by the outbox's own Submitter, one stage after the other because
each stage needs the previous one on chain. Their events reach the read models like any others.
Skipped for GX_LEDGER=fabric: a real network is bootstrapped by its operators through the admin
API.
"""

from __future__ import annotations

import time

from shared.config import Settings

ORDER = 30
STAGE_BUDGET_S = 120.0


def _stage(commands: list[tuple[str, dict[str, object], str]]) -> tuple[int, int]:
    """Enqueue the (type, payload, request id) commands and submit them; (new, total)."""
    from shared import db
    from shared.chain.port import get_ledger
    from shared.errors import GXError
    from shared.outbox import Command, enqueue
    from shared.outbox.submit import Submitter, default_owner

    ids, created = [], 0
    with db.transaction() as conn:
        for command_type, payload, request_id in commands:
            cmd = enqueue(conn, Command(type=command_type, payload=payload,
                                        request_id=request_id, service="admin"))
            ids.append(cmd.id)
            created += cmd.created
    submitter = Submitter(get_ledger(), owner=default_owner("startup"))
    deadline = time.monotonic() + STAGE_BUDGET_S
    while True:
        rows = db.fetch_all(
            "SELECT id, command_type, status, error_code, error_message FROM outbox_commands"
            " WHERE id = ANY(%s)", (ids,))
        open_ = [r for r in rows if r["status"] not in ("CONFIRMED", "REJECTED", "DEAD")]
        if not open_:
            break
        if time.monotonic() > deadline:
            raise GXError(f"ledger bootstrap stalled: {len(open_)} commands still open")
        submitter.drain(budget_s=min(10.0, deadline - time.monotonic()), wait_for_due=False)
        time.sleep(0.05)
    failed = [r for r in rows if r["status"] != "CONFIRMED"
              and r["error_code"] not in ("ALREADY_BOOTSTRAPPED", "ALREADY_EXISTS")]
    if failed:
        first = failed[0]
        raise GXError(f"ledger bootstrap failed: {first['command_type']} {first['status']}"
                      f" {first['error_code']}: {first['error_message']}")
    return created, len(ids)


def run(settings: Settings) -> str:
    if settings.ledger != "embedded":
        return "skipped (GX_LEDGER=fabric: bootstrap through the admin API)"
    from shared import db
    from shared.admin.service import countries_payload

    boot = _stage([("BOOTSTRAP_SYSTEM", {}, "bootstrap")])
    payload, request_id = countries_payload(None)
    init = _stage([("INITIALIZE_COUNTRY_DATA", payload, request_id)])
    codes = [r["country_code"] for r in db.fetch_all(
        "SELECT country_code FROM countries WHERE allocation_share IS NOT NULL ORDER BY 1")]
    treasuries = _stage([("ACTIVATE_TREASURY", {"countryCode": cc}, f"activate-treasury:{cc}")
                         for cc in codes])
    if boot[0] + init[0] + treasuries[0] == 0:
        return "already bootstrapped"
    return (f"bootstrapped (system {boot[0]}, countries {len(payload['countriesData'])},"
            f" treasuries activated {treasuries[0]})")
