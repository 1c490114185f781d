"""GET /api/v1/wallets/{profileId}/transactions?limit=&after=&before=: history, newest first,
cursor-paginated in both directions, with fee lines; block numbers as strings. Owner or admin."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.tokenomics import service
from shared.tokenomics.schemas import HistoryQuery, HistoryReply


@functions_framework.http
@endpoint
def list_transactions(call: Call) -> Reply:
    q = call.query(HistoryQuery)
    page = service.history(call.params["profileId"], limit=q.limit, after=q.after, before=q.before)
    return HistoryReply(transactions=page["items"], next_cursor=page["next"],
                        prev_cursor=page["prev"])
