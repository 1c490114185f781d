"""Organization functions (spec endpoints.md §4 with its Required behaviour): propose, endorse,
activate, authorization rules, multisig transfers, and the organization's queries."""

from knative.spec import AuditSpec, FunctionSpec, RateLimitSpec

O = "shared.organization.schemas"
T = "shared.tokenomics.schemas"
ACCEPTED = "shared.outbox.reply:CommandAccepted"
WRITES = RateLimitSpec(name="organization", limit=120, window_s=60, key="principal")
ORG = AuditSpec(target_type="ORGANIZATION", target="path:orgId",
                before="shared.audit_state:organization")


def _command(name: str, path: str, summary: str, request_model: str | None = None, *,
             audit: AuditSpec = ORG) -> FunctionSpec:
    return FunctionSpec(
        name=name, service="organization", kind="http", method="POST", path=path,
        summary=summary, auth="user", command=True, request_model=request_model,
        response_model=ACCEPTED, response_status=202, rate_limit=WRITES, tags=("organization",),
        audit=audit,
    )


def _get(name: str, path: str, summary: str, model: str, **kw: object) -> FunctionSpec:
    return FunctionSpec(name=name, service="organization", kind="http", method="GET", path=path,
                        summary=summary, response_model=model, tags=("organization",), **kw)  # type: ignore[arg-type]


FUNCTIONS = [
    _command("propose_organization", "/api/v1/organizations", "Propose an organization",
             f"{O}:ProposeOrganizationIn",
             audit=AuditSpec(target_type="ORGANIZATION", target="reply:orgId")),
    _command("endorse_organization", "/api/v1/organizations/{orgId}/endorse",
             "Endorse an organization (stakeholders, once)"),
    _command("activate_organization", "/api/v1/organizations/{orgId}/activate",
             "Activate a fully endorsed organization (stakeholders or admins)"),
    _command("define_auth_rule", "/api/v1/organizations/{orgId}/rules",
             "Add an approval rule (stakeholders or admins)", f"{O}:DefineRuleIn"),
    _command("initiate_multisig_transaction", "/api/v1/organizations/{orgId}/transactions",
             "Open a multisig transfer (stakeholders)", f"{O}:InitiateTransactionIn"),
    _command("approve_multisig_transaction", "/api/v1/transactions/{pendingTxId}/approve",
             "Approve a multisig transfer (approver-group members, once)",
             audit=AuditSpec(target_type="MULTISIG_TX", target="path:pendingTxId",
                             before="shared.audit_state:multisig")),
    _get("get_organization", "/api/v1/organizations/{orgId}", "An organization",
         f"{O}:OrganizationReply"),
    _get("list_pending_transactions", "/api/v1/organizations/{orgId}/transactions/pending",
         "An organization's pending multisig transfers (stakeholders, admins)",
         f"{O}:PendingTransactionList", auth="user"),
    _get("list_org_transactions", "/api/v1/organizations/{orgId}/transactions",
         "An organization's multisig transfers (stakeholders, admins)",
         f"{O}:PendingTransactionList", auth="user", query_model=f"{O}:TransactionListQuery"),
    _get("get_pending_transaction", "/api/v1/transactions/{pendingTxId}",
         "One multisig transfer (its organization's stakeholders, admins)",
         f"{O}:PendingTransactionReply", auth="user"),
    _get("get_org_balance", "/api/v1/organizations/{orgId}/balance",
         "An organization's balance (stakeholders, admins)", f"{O}:OrgBalanceReply", auth="user"),
    _get("list_org_history", "/api/v1/organizations/{orgId}/history",
         "An organization's account history (stakeholders, admins)", f"{T}:HistoryReply",
         auth="user", query_model=f"{T}:HistoryQuery"),
]
