"""The state of an audit target before a staff call changes it: the loaders that contracts name
in `AuditSpec.before` (knative/services/*.py).

Each loader takes the unit's connection and the target id from the request, and returns the
target as plain data, or None when there is no such target (the handler then answers 404 itself).
They run on the call's transaction before the handler, so they must never fail on a malformed id:
a failed statement would abort the whole unit and turn the handler's 404 into a 500.
"""

from __future__ import annotations

from typing import Any

import psycopg

from shared.api import as_uuid
from shared.config import get_settings
from shared.identity.service import PROFILE_COLUMNS

Conn = psycopg.Connection[Any]


def _one(conn: Conn, sql: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    row = conn.execute(sql, params).fetchone()
    return dict(row) if row is not None else None


def _tenant() -> str:
    return get_settings().tenant


def profile(conn: Conn, profile_id: str | None) -> dict[str, Any] | None:
    pid = as_uuid(profile_id or "")
    if pid is None:
        return None
    return _one(conn, f"SELECT {PROFILE_COLUMNS} FROM user_profiles"
                      " WHERE profile_id = %s AND deleted_at IS NULL", (pid,))


def profile_and_kyc(conn: Conn, profile_id: str | None) -> dict[str, Any] | None:
    """The profile and its newest KYC record (a KYC submission changes both)."""
    found = profile(conn, profile_id)
    if found is None:
        return None
    kyc_row = _one(conn, "SELECT kyc_id, status, evidence_hash, created_at FROM kyc_verifications"
                         " WHERE profile_id = %s ORDER BY created_at DESC LIMIT 1",
                   (found["profile_id"],))
    return {"profile": found, "latestKyc": kyc_row}


def genesis_user(conn: Conn, user_id: str | None) -> dict[str, Any] | None:
    """A user named by profile id or on-chain id, and whether genesis has been distributed."""
    if not user_id:
        return None
    pid = as_uuid(user_id)
    found = _one(conn, "SELECT profile_id, fabric_user_id, status, nationality_country_code"
                       " FROM user_profiles WHERE (profile_id = %s OR fabric_user_id = %s)"
                       " AND deleted_at IS NULL LIMIT 1", (pid, user_id))
    if found is None:
        return None
    genesis = _one(conn, "SELECT amount, phase, tx_id FROM rm_genesis_distributions"
                         " WHERE tenant_id = %s AND user_id = %s",
                   (_tenant(), found["fabric_user_id"]))
    return {**found, "genesis": genesis}


def kyc(conn: Conn, kyc_id: str | None) -> dict[str, Any] | None:
    kid = as_uuid(kyc_id or "")
    if kid is None:
        return None
    return _one(conn, "SELECT k.kyc_id, k.profile_id, k.status, k.evidence_hash, k.evidence_mime,"
                      " k.verifier_id, k.rejection_reason, p.status AS profile_status"
                      " FROM kyc_verifications k JOIN user_profiles p USING (profile_id)"
                      " WHERE k.kyc_id = %s", (kid,))


def system(conn: Conn, _target: str | None) -> dict[str, Any] | None:
    """The chain's status as projected (all NULL before anything was projected)."""
    return _one(conn, "SELECT s.status, s.reason, s.changed_at, s.bootstrapped_at"
                      " FROM (SELECT 1) one LEFT JOIN rm_system_status s ON s.tenant_id = %s",
                (_tenant(),))


def countries(conn: Conn, _target: str | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT count(*) AS initialized_countries FROM rm_country_stats"
                      " WHERE tenant_id = %s", (_tenant(),))


def parameter(conn: Conn, param_id: str | None) -> dict[str, Any] | None:
    """The value in force: the chain's, else the seeded default."""
    return _one(conn, "SELECT param_key, param_value AS value, source FROM system_parameters"
                      " WHERE tenant_id = %s AND param_key = %s", (_tenant(), param_id))


def treasury(conn: Conn, country_code: str | None) -> dict[str, Any] | None:
    """A country's treasury (status NULL until its activation is projected)."""
    return _one(conn, "SELECT c.country_code, t.treasury_id, t.status, t.activated_at"
                      " FROM countries c LEFT JOIN rm_treasuries t"
                      " ON t.tenant_id = %s AND t.country_code = c.country_code"
                      " WHERE c.country_code = %s", (_tenant(), country_code))


def wallet(conn: Conn, profile_id: str | None) -> dict[str, Any] | None:
    """A user's wallet (the wallet id is the owner's profile id)."""
    pid = as_uuid(profile_id or "")
    if pid is None:
        return None
    return _one(conn, "SELECT p.fabric_user_id, a.balance, COALESCE(a.frozen, false) AS frozen,"
                      " a.frozen_reason FROM user_profiles p LEFT JOIN rm_accounts a"
                      " ON a.tenant_id = p.tenant_id AND a.account_id = p.fabric_user_id"
                      " WHERE p.profile_id = %s AND p.deleted_at IS NULL", (pid,))


def account(conn: Conn, account_id: str | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT account_id, owner_type, balance, frozen, velocity_timer_start,"
                      " velocity_last_tax_at FROM rm_accounts WHERE tenant_id = %s"
                      " AND account_id = %s", (_tenant(), account_id))


def loan(conn: Conn, loan_id: str | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT loan_id, borrower_id, amount, status, approved_by, approved_at"
                      " FROM rm_loans WHERE tenant_id = %s AND loan_id = %s", (_tenant(), loan_id))


def proposal(conn: Conn, proposal_id: str | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT p.proposal_id, p.target_param, p.new_value, p.status, p.end_time,"
                      " (SELECT count(*) FILTER (WHERE v.support) FROM rm_proposal_votes v"
                      "   WHERE v.tenant_id = p.tenant_id AND v.proposal_id = p.proposal_id)"
                      "   AS votes_for,"
                      " (SELECT count(*) FILTER (WHERE NOT v.support) FROM rm_proposal_votes v"
                      "   WHERE v.tenant_id = p.tenant_id AND v.proposal_id = p.proposal_id)"
                      "   AS votes_against"
                      " FROM rm_proposals p WHERE p.tenant_id = %s AND p.proposal_id = %s",
                (_tenant(), proposal_id))


def organization(conn: Conn, org_id: str | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT o.org_id, o.org_name, o.org_type, o.status, o.stakeholders,"
                      " o.auth_rules, (SELECT coalesce(jsonb_agg(e.user_id ORDER BY e.user_id),"
                      " '[]') FROM rm_org_endorsements e WHERE e.tenant_id = o.tenant_id"
                      " AND e.org_id = o.org_id) AS endorsed_by"
                      " FROM rm_organizations o WHERE o.tenant_id = %s AND o.org_id = %s",
                (_tenant(), org_id))


def multisig(conn: Conn, pending_tx_id: str | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT t.pending_tx_id, t.org_id, t.to_id, t.amount, t.status,"
                      " t.required_approvals, (SELECT coalesce(jsonb_agg(a.approver_id ORDER BY"
                      " a.approver_id), '[]') FROM rm_multisig_approvals a"
                      " WHERE a.tenant_id = t.tenant_id AND a.pending_tx_id = t.pending_tx_id)"
                      " AS approved_by FROM rm_multisig_transactions t"
                      " WHERE t.tenant_id = %s AND t.pending_tx_id = %s", (_tenant(), pending_tx_id))


def relationship(conn: Conn, relationship_id: str | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT relationship_id, subject_id, object_id, type, status"
                      " FROM rm_relationships WHERE tenant_id = %s AND relationship_id = %s",
                (_tenant(), relationship_id))


def command(conn: Conn, command_id: str | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT id, command_type, status, attempts, error_code, error_message"
                      " FROM outbox_commands WHERE id = %s", (command_id,))


def outbox_hold(conn: Conn, _target: str | None) -> dict[str, Any] | None:
    """Whether submission is held (no row: it is not), by whom and why."""
    return _one(conn, "SELECT h.reason IS NOT NULL AS held, h.reason, h.held_by, h.held_at"
                      " FROM (SELECT 1) one LEFT JOIN outbox_hold h ON true", ())


def dead_letter(conn: Conn, dead_letter_id: str | None) -> dict[str, Any] | None:
    raw = dead_letter_id or ""
    if not raw.isdigit() or len(raw) > 18:  # beyond bigint would fail the statement
        return None
    return _one(conn, "SELECT id, status, reason, source, subscriber, event_id, event_type,"
                      " attempts FROM event_dead_letters WHERE id = %s", (int(raw),))


def velocity_account(conn: Conn, account_id: str | None) -> dict[str, Any] | None:
    """The account and the tax the chain's current rate would take from it."""
    from shared.errors import GXError
    from shared.tax import service

    state = account(conn, account_id)
    if state is None or account_id is None:
        return state
    try:  # reads only; a refusal is the handler's to answer
        check = service.eligibility(account_id)
    except GXError:
        return state
    return {**state, "eligible": check["eligible"],
            "estimatedTax": check["details"].get("estimatedTax")}
