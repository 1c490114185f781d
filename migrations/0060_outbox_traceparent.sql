-- One trace per command: the W3C traceparent of the request that accepted a command, carried on
-- to its announcement, its submission, its chain event and its projection (shared/tracing.py).
-- Nullable: commands enqueued outside a request (and every older one) have none.
ALTER TABLE outbox_commands ADD COLUMN traceparent text;
