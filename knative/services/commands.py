"""Command status and the outbox's admin endpoints (dead commands, re-drive)."""

from knative.spec import FunctionSpec, RateLimitSpec

FUNCTIONS = [
    FunctionSpec(
        name="get_command_status",
        service="commands",
        kind="http",
        summary="A command's status: PENDING, PROCESSING, CONFIRMED, RETRYING, REJECTED or FAILED",
        method="GET",
        path="/api/v1/commands/{commandId}",
        auth="user",
        rate_limit=RateLimitSpec(name="command-status", limit=600, window_s=60, key="principal"),
        response_model="shared.outbox.status:CommandStatus",
        tags=("commands",),
    ),
    FunctionSpec(
        name="list_dead_commands",
        service="admin",
        kind="http",
        summary="Dead outbox commands (attempts exhausted or unmappable), newest first",
        method="GET",
        path="/api/v1/admin/commands/dead",
        auth="admin",
        query_model="shared.outbox.admin:DeadQuery",
        response_model="shared.outbox.status:DeadCommandPage",
        tags=("admin", "commands"),
        scale={"min": 0, "max": 2},
    ),
    FunctionSpec(
        name="retry_command",
        service="admin",
        kind="http",
        summary="Re-drive a dead command (back to PENDING with fresh attempts)",
        method="POST",
        path="/api/v1/admin/commands/{commandId}/retry",
        auth="admin",
        response_model="shared.outbox.reply:CommandAccepted",
        response_status=202,
        tags=("admin", "commands"),
        scale={"min": 0, "max": 2},
    ),
]
