"""Loan pool functions (spec endpoints.md §5 with its Required behaviour, plus repayment)."""

from knative.spec import AuditSpec, FunctionSpec, RateLimitSpec

L = "shared.loanpool.schemas"
LOAN = AuditSpec(target_type="LOAN", target="path:loanId", before="shared.audit_state:loan")
ACCEPTED = "shared.outbox.reply:CommandAccepted"
WRITES = RateLimitSpec(name="loanpool", limit=60, window_s=60, key="principal")

FUNCTIONS = [
    FunctionSpec(
        name="apply_for_loan", service="loanpool", kind="http", method="POST",
        path="/api/v1/loans", summary="Apply for an interest-free loan", auth="user",
        command=True, request_model=f"{L}:ApplyForLoanIn", response_model=ACCEPTED,
        response_status=202, rate_limit=WRITES, tags=("loanpool",),
        audit=AuditSpec(target_type="USER", target="principal"),  # the loan has no id yet
    ),
    FunctionSpec(
        name="approve_loan", service="loanpool", kind="http", method="POST",
        path="/api/v1/loans/{loanId}/approve", summary="Approve a loan (disburse from the pool)",
        auth="admin", command=True, response_model=ACCEPTED, response_status=202,
        tags=("loanpool", "admin"), audit=LOAN,
    ),
    FunctionSpec(
        name="repay_loan", service="loanpool", kind="http", method="POST",
        path="/api/v1/loans/{loanId}/repay", summary="Repay a loan in full (the borrower)",
        auth="user", command=True, response_model=ACCEPTED, response_status=202,
        rate_limit=WRITES, tags=("loanpool",), audit=LOAN,
    ),
    FunctionSpec(
        name="get_loan", service="loanpool", kind="http", method="GET",
        path="/api/v1/loans/{loanId}", summary="A loan (borrower or admin)", auth="user",
        response_model=f"{L}:LoanReply", tags=("loanpool",),
    ),
    FunctionSpec(
        name="list_user_loans", service="loanpool", kind="http", method="GET",
        path="/api/v1/users/{borrowerId}/loans", summary="A borrower's loans", auth="user",
        owner_param="borrowerId", query_model=f"{L}:LoanListQuery",
        response_model=f"{L}:LoanList", tags=("loanpool",),
    ),
]
