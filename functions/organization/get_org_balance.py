"""GET /api/v1/organizations/{orgId}/balance: the organization's balance (string of Qirat), from
the same account read model as wallets. Its stakeholders and admins."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.organization.schemas import OrgBalanceReply


@functions_framework.http
@endpoint
def get_org_balance(call: Call) -> Reply:
    return OrgBalanceReply.model_validate(
        {"balance": service.balance(call.user, call.params["orgId"])})
