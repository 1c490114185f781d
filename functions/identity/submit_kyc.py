"""POST /api/v1/users/{id}/kyc: submit KYC evidence. The user themself (or an admin); 60/min per
caller. multipart/form-data with a `document` file (JPEG, PNG or PDF, by content; ≤ 10 MiB) that
is stored in S3 and hashed server-side, or JSON evidence fields. One open submission at a time."""

import functions_framework

from shared.errors import ValidationFailed
from shared.http import Call, Reply, endpoint
from shared.identity import documents, kyc
from shared.identity.schemas import Kyc, KycReply


@functions_framework.http
@endpoint
def submit_kyc(call: Call) -> Reply:
    profile_id = call.params["id"]
    if call.request.mimetype == "multipart/form-data":
        upload = call.request.files.get("document")
        if upload is None:
            raise ValidationFailed(
                "a file field named 'document' is required",
                errors=[{"field": "document", "message": "missing", "type": "missing"}],
            )
        row = kyc.submit_document(profile_id, upload.read(documents.MAX_BYTES + 1))
    else:
        row = kyc.submit_evidence(profile_id, call.body)
    return KycReply(kyc_record=Kyc.from_row(row)), 201
