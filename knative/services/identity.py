"""Identity and KYC functions (spec endpoints.md §1, plus the admin KYC review of issue 6)."""

from knative.spec import AuditSpec, FunctionSpec, RateLimitSpec

S = "shared.identity.schemas"
A = "shared.audit_state"
MiB = 1024 * 1024

# rules.md §11: login and registration are limited per IP with separate counters (gaps B6), and
# fail closed when Redis is down; KYC per caller.
LOGIN_LIMIT = RateLimitSpec(name="login", limit=5, window_s=60, key="ip", strict=True)
REGISTER_LIMIT = RateLimitSpec(name="register", limit=5, window_s=60, key="ip", strict=True)
KYC_LIMIT = RateLimitSpec(name="kyc", limit=60, window_s=60, key="principal")

FUNCTIONS = [
    FunctionSpec(
        name="register_user", service="identity", kind="http", method="POST",
        path="/api/v1/users", summary="Register an account", rate_limit=REGISTER_LIMIT,
        request_model=f"{S}:RegisterIn", response_model=f"{S}:UserReply", response_status=201,
        tags=("identity",),
    ),
    FunctionSpec(
        name="login_user", service="identity", kind="http", method="POST",
        path="/api/v1/auth/login", summary="Log in: access and refresh tokens",
        rate_limit=LOGIN_LIMIT, request_model=f"{S}:LoginIn", response_model=f"{S}:TokenReply",
        issues_tokens=True, tags=("identity",),
    ),
    FunctionSpec(
        name="refresh_session", service="identity", kind="http", method="POST",
        path="/api/v1/auth/refresh", summary="Rotate a refresh token",
        request_model=f"{S}:RefreshIn", response_model=f"{S}:TokenReply", issues_tokens=True,
        rate_limit=RateLimitSpec(name="refresh", limit=30, window_s=60, key="ip"),
        tags=("identity",),
    ),
    FunctionSpec(
        name="logout_session", service="identity", kind="http", method="POST",
        path="/api/v1/auth/logout", summary="End a session", request_model=f"{S}:RefreshIn",
        response_model=f"{S}:MessageReply", tags=("identity",),
    ),
    FunctionSpec(
        name="get_user", service="identity", kind="http", method="GET", path="/api/v1/users/{id}",
        summary="A user's profile", auth="user", owner_param="id",
        response_model=f"{S}:UserReply", tags=("identity",),
    ),
    FunctionSpec(
        name="update_user", service="identity", kind="http", method="PATCH",
        path="/api/v1/users/{id}", summary="Update a profile", auth="user", owner_param="id",
        request_model=f"{S}:ProfilePatch", response_model=f"{S}:ProfileReply",
        tags=("identity",),
        audit=AuditSpec(action="PROFILE_UPDATED", target_type="USER", target="path:id",
                        before=f"{A}:profile"),
    ),
    FunctionSpec(
        name="submit_kyc", service="identity", kind="http", method="POST",
        path="/api/v1/users/{id}/kyc", summary="Submit KYC evidence or upload the document",
        auth="user", owner_param="id", rate_limit=KYC_LIMIT,
        request_model=f"{S}:KycEvidenceIn", response_model=f"{S}:KycReply", response_status=201,
        content_types=("application/json", "multipart/form-data"),
        max_body_bytes=10 * MiB + 64 * 1024, tags=("identity",),
        resources={"memory_limit": "768Mi"},
        audit=AuditSpec(action="KYC_SUBMITTED", target_type="USER", target="path:id",
                        before=f"{A}:profile_and_kyc",
                        reply=("kycRecord.kycId", "kycRecord.evidenceHash",
                               "kycRecord.evidenceMime", "kycRecord.evidenceSize")),
    ),
    FunctionSpec(
        name="get_kyc_status", service="identity", kind="http", method="GET",
        path="/api/v1/users/{id}/kyc", summary="A user's newest KYC record", auth="user",
        owner_param="id", response_model=f"{S}:KycStatusReply", tags=("identity",),
    ),
    FunctionSpec(
        name="list_kyc_queue", service="admin", kind="http", method="GET",
        path="/api/v1/admin/kyc", summary="KYC review queue", auth="admin",
        query_model=f"{S}:KycQuery", response_model=f"{S}:KycPage", tags=("admin", "kyc"),
    ),
    FunctionSpec(
        name="get_kyc_document", service="admin", kind="http", method="GET",
        path="/api/v1/admin/kyc/{kycId}/document", summary="Presigned link to a KYC document",
        auth="admin", response_model=f"{S}:DocumentLink", tags=("admin", "kyc"),
        audit=AuditSpec(action="KYC_DOCUMENT_VIEWED", target_type="KYC", target="path:kycId",
                        before=f"{A}:kyc"),
    ),
    FunctionSpec(
        name="approve_kyc", service="admin", kind="http", method="POST",
        path="/api/v1/admin/kyc/{kycId}/approve",
        summary="Approve KYC; queues on-chain registration and genesis", auth="admin",
        command=True, request_model=f"{S}:KycApproveIn", response_status=202,
        tags=("admin", "kyc"),
        audit=AuditSpec(action="KYC_APPROVED", target_type="KYC", target="path:kycId",
                        before=f"{A}:kyc", reply=("fabricUserId", "profileId")),
    ),
    FunctionSpec(
        name="reject_kyc", service="admin", kind="http", method="POST",
        path="/api/v1/admin/kyc/{kycId}/reject", summary="Reject KYC with a reason",
        auth="admin", request_model=f"{S}:KycRejectIn", response_model=f"{S}:KycReply",
        tags=("admin", "kyc"),
        audit=AuditSpec(action="KYC_REJECTED", target_type="KYC", target="path:kycId",
                        before=f"{A}:kyc", reply=("kycRecord.status",)),
    ),
]
