-- The dev broker's durable delivery queue (`gx dev`): one row per (CloudEvent, subscriber) that
-- still has to be delivered. The ingress writes every matching row in one transaction before it
-- answers 202, so an accepted event survives a broker restart. Delivered rows are deleted and
-- exhausted ones move to event_dead_letters, which keeps the claimable set small (a partial index
-- over a large, mostly finished table lost its plan in production measurements; DESIGN.md §6).
CREATE TABLE broker_deliveries (
    id            bigserial PRIMARY KEY,
    subscriber    text NOT NULL,               -- target function name (the Trigger's subscriber)
    event_id      text NOT NULL,
    event_type    text NOT NULL,
    headers       jsonb NOT NULL,              -- binary-mode HTTP headers: ce-* and content-type
    body          bytea NOT NULL DEFAULT ''::bytea,
    attempts      int NOT NULL DEFAULT 0,      -- deliveries tried so far
    due_at        timestamptz NOT NULL DEFAULT now(),  -- next attempt; pushed forward while leased
    lease_token   uuid,                        -- set while a worker holds the row
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broker_deliveries_due_idx ON broker_deliveries (due_at);
