"""Governance functions (spec endpoints.md §6 with its Required behaviour)."""

from knative.spec import AuditSpec, FunctionSpec, RateLimitSpec

G = "shared.governance.schemas"
A = "shared.audit_state"
PROPOSAL = AuditSpec(target_type="PROPOSAL", target="path:proposalId", before=f"{A}:proposal")
ACCEPTED = "shared.outbox.reply:CommandAccepted"

FUNCTIONS = [
    FunctionSpec(
        name="submit_proposal", service="governance", kind="http", method="POST",
        path="/api/v1/proposals", summary="Propose a parameter change", auth="admin",
        command=True, request_model=f"{G}:SubmitProposalIn", response_model=ACCEPTED,
        response_status=202, tags=("governance", "admin"),
        audit=AuditSpec(target_type="PARAMETER", target="body:targetParam",
                        before=f"{A}:parameter"),
    ),
    FunctionSpec(
        name="vote_on_proposal", service="governance", kind="http", method="POST",
        path="/api/v1/proposals/{proposalId}/vote", summary="Vote on a proposal (once)",
        auth="user", command=True, request_model=f"{G}:VoteIn", response_model=ACCEPTED,
        response_status=202, tags=("governance",),
        rate_limit=RateLimitSpec(name="vote", limit=60, window_s=60, key="principal"),
        audit=PROPOSAL,
    ),
    FunctionSpec(
        name="execute_proposal", service="governance", kind="http", method="POST",
        path="/api/v1/proposals/{proposalId}/execute", summary="Execute a proposal after its vote",
        auth="admin", command=True, response_model=ACCEPTED, response_status=202,
        tags=("governance", "admin"), audit=PROPOSAL,
    ),
    FunctionSpec(
        name="get_proposal", service="governance", kind="http", method="GET",
        path="/api/v1/proposals/{proposalId}", summary="A proposal with its tallies",
        response_model=f"{G}:ProposalReply", tags=("governance",),
    ),
    FunctionSpec(
        name="list_proposals", service="governance", kind="http", method="GET",
        path="/api/v1/proposals", summary="Proposals, filtered by status",
        query_model=f"{G}:ProposalListQuery", response_model=f"{G}:ProposalList",
        tags=("governance",),
    ),
]
