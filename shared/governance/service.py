"""Governance use cases: submit a parameter proposal, vote, execute, and the proposal queries.

Checked against the read models with the chain's own rules (shared.domain.governance,
shared.domain.parameters) before the outbox: a known governable parameter and a value it may take,
no identical Active proposal; a vote only from an ACTIVE user, once, while the window is open; an
execution only after it. The backend never decides an outcome: the chain's ExecuteProposal does,
and the proposal and parameter read models follow its events.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from shared import db
from shared.auth import Principal
from shared.domain import governance as gov
from shared.domain import parameters
from shared.domain.errors import RuleViolation
from shared.errors import Forbidden, NotFound
from shared.governance.schemas import SubmitProposalIn, VoteIn
from shared.organization import common
from shared.outbox import Enqueued
from shared.readmodels import governance as gov_rm

SOURCE = "governance"
_queue = functools.partial(common.queue, SOURCE)
_queue_once = functools.partial(common.queue_once, SOURCE)





def _now() -> datetime:
    """The time the window checks use (module level so a test can steer it with the chain's)."""
    return datetime.now(UTC)


def _governable() -> frozenset[str]:
    return frozenset(name for name, p in parameters.CATALOGUE.items() if p.governable)


def _active_same(target: str, value: str) -> list[tuple[str, str]]:
    """The Active proposals asking for exactly this change (what check_submission compares)."""
    rows = db.fetch_all(
        "SELECT target_param, new_value FROM rm_proposals WHERE tenant_id = %s AND status = %s"
        " AND target_param = %s AND new_value = %s",
        (common.tenant(), gov.ProposalStatus.ACTIVE.value, target, value))
    return [(r["target_param"], r["new_value"]) for r in rows]


def submit(admin: Principal, body: SubmitProposalIn, *, idempotency_key: str) -> Enqueued:
    if body.proposer_id is not None and body.proposer_id != admin.sub:
        raise Forbidden("you can only submit a proposal as yourself", code="NOT_PROPOSER")
    known = _governable()
    try:
        value = (parameters.validate(body.target_param, body.new_value)
                 if body.target_param in known else body.new_value)
        gov.check_submission(target_param=body.target_param, new_value=value,
                             known_params=known,
                             active=_active_same(body.target_param, value))
    except RuleViolation as exc:
        field = "targetParam" if body.target_param not in known else "newValue"
        raise common.refusal(exc, field=field) from None
    row = common.find_user(admin.sub)
    proposer = (row["fabric_user_id"] if row and row["fabric_user_id"] else admin.sub)
    return _queue(admin, "SUBMIT_PROPOSAL", {"targetParam": body.target_param, "newValue": value,
                                             "proposerId": proposer}, idempotency_key)


def _proposal(proposal_id: str) -> dict[str, Any]:
    proposal = gov_rm.get_proposal(proposal_id, tenant=common.tenant())
    if proposal is None:
        raise NotFound("no such proposal", code="PROPOSAL_NOT_FOUND")
    return proposal


def _ends_at(proposal: dict[str, Any]) -> datetime:
    if proposal["endTime"] is None:  # not projected yet: the window is certainly still open
        return datetime.max.replace(tzinfo=UTC)
    return datetime.fromisoformat(proposal["endTime"])


def vote(caller: Principal, proposal_id: str, body: VoteIn) -> Enqueued:
    me = common.actor(caller)
    proposal = _proposal(proposal_id)
    voted = gov_rm.get_vote(proposal_id, me.chain_id, tenant=common.tenant()) is not None
    try:
        gov.check_vote(status=proposal["status"], now=_now(),
                       ends_at=_ends_at(proposal), already_voted=voted)
    except RuleViolation as exc:
        raise common.refusal(exc) from None
    return _queue_once(caller, "VOTE_ON_PROPOSAL",
                       {"proposalId": proposal_id, "voterId": me.chain_id, "vote": body.vote},
                       f"vote:{proposal_id}:{me.chain_id}", code="ALREADY_VOTED",
                       message="you have already voted on this proposal")


def execute(admin: Principal, proposal_id: str) -> Enqueued:
    proposal = _proposal(proposal_id)
    try:
        gov.check_execution(status=proposal["status"], now=_now(),
                            ends_at=_ends_at(proposal))
    except RuleViolation as exc:
        raise common.refusal(exc) from None
    return _queue_once(admin, "EXECUTE_PROPOSAL", {"proposalId": proposal_id},
                       f"proposal-execute:{proposal_id}", code="EXECUTION_PENDING",
                       message="this proposal's execution is already under way")


def proposal(proposal_id: str) -> dict[str, Any]:
    return _proposal(proposal_id)


def proposals(*, status: str | None, limit: int) -> list[dict[str, Any]]:
    return gov_rm.list_proposals(status=status, limit=limit, tenant=common.tenant())
