"""GET /api/v1/admin/kyc?status=PENDING&limit=&cursor=: the KYC review queue, oldest first,
cursor-paginated. Admins."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.identity import kyc
from shared.identity.schemas import Kyc, KycPage, KycQuery


@functions_framework.http
@endpoint
def list_kyc_queue(call: Call) -> Reply:
    q = call.query(KycQuery)
    rows, cursor = kyc.queue(q.status, q.limit, q.cursor)
    return KycPage(items=[Kyc.from_row(r) for r in rows], next_cursor=cursor)
