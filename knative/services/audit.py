"""The audit chain's anchor: its head written outside the database on a schedule."""

from knative.spec import FunctionSpec

FUNCTIONS = [
    FunctionSpec(
        name="anchor_audit",
        service="admin",
        kind="cloudevent",
        summary="Every 5 minutes: write the audit chain's head (seq, hash) to the anchor bucket,"
        " so rows cut off the end of audit_log show in `gx audit verify`",
        schedule="*/5 * * * *",
        scale={"min": 0, "max": 1, "concurrency": 1},
        timeout_s=60,
    ),
]
