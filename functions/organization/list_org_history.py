"""GET /api/v1/organizations/{orgId}/history?limit=&after=&before=: the organization's account
history, newest first, cursor-paginated as wallet histories. Its stakeholders and admins."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.organization import service
from shared.tokenomics.schemas import HistoryQuery, HistoryReply


@functions_framework.http
@endpoint
def list_org_history(call: Call) -> Reply:
    q = call.query(HistoryQuery)
    page = service.history(call.user, call.params["orgId"], limit=q.limit, after=q.after,
                           before=q.before)
    return HistoryReply(transactions=page["items"], next_cursor=page["next"],
                        prev_cursor=page["prev"])
