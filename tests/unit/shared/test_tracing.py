"""shared.tracing without OpenTelemetry export: trace ids in the log context, child ids."""

from __future__ import annotations

import structlog

from shared import tracing

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_ids() -> None:
    assert tracing.trace_id_of(PARENT) == "0af7651916cd43dd8448eb211c80319c"
    assert tracing.trace_id_of("garbage") is None and tracing.trace_id_of(None) is None
    child = tracing.child_of(PARENT)
    assert child.startswith("00-0af7651916cd43dd8448eb211c80319c-") and child.endswith("-01")
    assert child != PARENT


def test_a_step_binds_the_trace_to_the_log_context_and_unbinds_it() -> None:
    structlog.contextvars.clear_contextvars()
    with tracing.step("outbox.submit", PARENT) as handed:
        assert handed is not None and tracing.trace_id_of(handed) == tracing.trace_id_of(PARENT)
        bound = structlog.contextvars.get_contextvars()
        assert bound["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
        assert tracing.current_traceparent() == PARENT
    assert "trace_id" not in structlog.contextvars.get_contextvars()
    assert tracing.current_traceparent() is None


def test_a_step_without_a_trace_does_nothing() -> None:
    for missing in (None, "", "00-zz-yy-01"):
        with tracing.step("chain.publish", missing) as handed:
            assert handed is None
            assert "trace_id" not in structlog.contextvars.get_contextvars()
