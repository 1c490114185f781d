"""The outbox workers: the event-triggered submitter and the scheduled sweeper."""

from knative.spec import FunctionSpec

FUNCTIONS = [
    FunctionSpec(
        name="submit_command",
        service="outbox",
        kind="cloudevent",
        summary="Submit a just-enqueued command (and its aggregate's queue) to the ledger",
        event_types=("org.gxcoin.command.enqueued.v1",),
        scale={"min": 0, "max": 10, "concurrency": 8},
        timeout_s=60,
    ),
    FunctionSpec(
        name="sweep_outbox",
        service="outbox",
        kind="cloudevent",
        summary="Every minute: drain due outbox commands (retries, missed events, expired leases)",
        schedule="* * * * *",
        scale={"min": 0, "max": 2, "concurrency": 1},
        timeout_s=120,
    ),
]
