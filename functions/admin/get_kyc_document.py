"""GET /api/v1/admin/kyc/{kycId}/document: a presigned URL (5 minutes) for the stored document.
Admins; every view is audited."""

import functions_framework

from shared.http import Call, Reply, endpoint
from shared.identity import kyc
from shared.identity.schemas import DocumentLink

TTL_S = 300


@functions_framework.http
@endpoint
def get_kyc_document(call: Call) -> Reply:
    url, row = kyc.document_link(call.params["kycId"], TTL_S)
    return DocumentLink(url=url, expires_in=TTL_S, mime=row["evidence_mime"],
                        sha256=row["evidence_hash"])
