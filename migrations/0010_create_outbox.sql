-- The transactional outbox: every command bound for the ledger (spec/commands.md §1, §6).
--
-- Two tables, so the claimable set stays small (DESIGN.md §6: a partial index on "unsent" rows
-- lost its plan after mass updates and the drain fell 8-10x):
--   outbox_commands  the durable record of every command, finished or not (status endpoint,
--                    admin, audit); never scanned by the submitters;
--   outbox_queue     one row per *unfinished* command (PENDING / RETRYING / in flight). A command
--                    leaves it in the same transaction that finishes it, so the submitters' claim
--                    query only ever sees the backlog, however large the history grows.

CREATE SEQUENCE outbox_accept_seq;

CREATE TABLE outbox_commands (
    id             text PRIMARY KEY,                  -- commandId; also the CloudEvent id
    tenant_id      text NOT NULL DEFAULT 'default',
    service        text NOT NULL,                     -- producing service, e.g. tokenomics
    command_type   text NOT NULL,
    request_id     text NOT NULL,                     -- idempotency key (client or business key)
    principal_id   text,                              -- who asked (status endpoint owner check)
    aggregate_key  text NOT NULL,                     -- e.g. user:<id>; per-aggregate order
    aggregate_seq  bigint NOT NULL,                   -- accepted order (outbox_accept_seq)
    payload        jsonb NOT NULL,                    -- validated against the catalogue at insert
    tx_id          text NOT NULL,                     -- = shared.chain.port.tx_id_for(id)
    status         text NOT NULL DEFAULT 'PENDING'
                   CHECK (status IN ('PENDING', 'RETRYING', 'CONFIRMED', 'REJECTED', 'DEAD')),
    attempts       int NOT NULL DEFAULT 0,            -- submissions that reached the ledger
    result         jsonb,                             -- the chain's return value (created ids)
    block_number   bigint,
    error_code     text,
    error_message  text,                              -- truncated to 1000 characters
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    CONSTRAINT outbox_commands_request_uq UNIQUE (tenant_id, request_id),
    CONSTRAINT outbox_commands_tx_uq UNIQUE (tx_id)
);
-- Dead letters are few and rarely change state, so this partial index stays small and stable.
CREATE INDEX outbox_commands_dead_idx ON outbox_commands (tenant_id, updated_at DESC, id)
    WHERE status = 'DEAD';

CREATE TABLE outbox_queue (
    command_id        text PRIMARY KEY REFERENCES outbox_commands (id),
    aggregate_key     text NOT NULL,
    seq               bigint NOT NULL,
    command_type      text NOT NULL,
    enqueued_at       timestamptz NOT NULL DEFAULT now(),
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    attempts          int NOT NULL DEFAULT 0,         -- counted attempts (limit: DEAD)
    failures          int NOT NULL DEFAULT 0,         -- every transient failure (drives backoff)
    claims            int NOT NULL DEFAULT 0,         -- > 1 means an earlier outcome is unknown
    lease_owner       text,
    lease_token       uuid,
    lease_expires_at  timestamptz
) WITH (fillfactor = 70);  -- leases and retries update rows in place (HOT updates)
-- Head-of-aggregate check ("no earlier unfinished command of the same aggregate").
CREATE UNIQUE INDEX outbox_queue_aggregate_idx ON outbox_queue (aggregate_key, seq);
CREATE INDEX outbox_queue_seq_idx ON outbox_queue (seq);
