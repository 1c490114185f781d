"""Admin operations on the event pipeline: the dead-letter list and replay."""

from knative.spec import AuditSpec, FunctionSpec

FUNCTIONS = [
    FunctionSpec(
        name="list_dead_letters",
        service="admin",
        kind="http",
        summary="List dead-lettered events (newest first)",
        method="GET",
        path="/api/v1/admin/dead-letters",
        auth="admin",
        query_model="shared.events.replay:DeadLetterQuery",
        tags=("admin", "events"),
        scale={"min": 0, "max": 2},
    ),
    FunctionSpec(
        name="replay_dead_letter",
        service="admin",
        kind="http",
        summary="Replay one dead-lettered event through the broker (audited)",
        method="POST",
        path="/api/v1/admin/dead-letters/{deadLetterId}/replay",
        auth="admin",
        tags=("admin", "events"),
        scale={"min": 0, "max": 2},
        audit=AuditSpec(action="DEAD_LETTER_REPLAYED", target_type="DEAD_LETTER",
                        target="path:deadLetterId", before="shared.audit_state:dead_letter",
                        reply=("status",)),
    ),
]
