"""Relationship and trust-score functions (identity service; spec rules.md §8, issue 10)."""

from knative.spec import AuditSpec, FunctionSpec, RateLimitSpec

R = "shared.relationships.schemas"
ACCEPTED = "shared.outbox.reply:CommandAccepted"
WRITES = RateLimitSpec(name="relationships", limit=60, window_s=60, key="principal")
RELATIONSHIP = AuditSpec(target_type="RELATIONSHIP", target="path:id",
                         before="shared.audit_state:relationship")


def _command(name: str, path: str, summary: str, request_model: str | None = None, *,
             audit: AuditSpec = RELATIONSHIP) -> FunctionSpec:
    return FunctionSpec(
        name=name, service="identity", kind="http", method="POST", path=path, summary=summary,
        auth="user", command=True, request_model=request_model, response_model=ACCEPTED,
        response_status=202, rate_limit=WRITES, tags=("identity", "relationships"), audit=audit,
    )


FUNCTIONS = [
    _command("request_relationship", "/api/v1/relationships", "Request a relationship",
             f"{R}:RequestRelationshipIn",
             audit=AuditSpec(target_type="USER", target="body:objectId")),
    _command("confirm_relationship", "/api/v1/relationships/{id}/confirm",
             "Confirm a relationship (the requested user)"),
    _command("reject_relationship", "/api/v1/relationships/{id}/reject",
             "Reject a relationship (the requested user)"),
    FunctionSpec(
        name="list_relationships", service="identity", kind="http", method="GET",
        path="/api/v1/users/{id}/relationships", summary="A user's relationships", auth="user",
        owner_param="id", response_model=f"{R}:RelationshipList",
        tags=("identity", "relationships"),
    ),
    FunctionSpec(
        name="get_trust_score", service="identity", kind="http", method="GET",
        path="/api/v1/users/{id}/trust-score", summary="A user's trust score", auth="user",
        owner_param="id", response_model=f"{R}:TrustScoreReply",
        tags=("identity", "relationships"),
    ),
]
