-- Where the read side stands: the chain listener's checkpoint, its last view of the ledger
-- height, the positions it has published and the positions the projectors have handled.
-- Projection lag = ledger height - highest contiguous projected block (shared/projection_state.py).

-- The listener resumes strictly after (block_number, tx_index); advanced only after the sink
-- acknowledged the event at that position (or after the event was dead-lettered).
CREATE TABLE chain_checkpoints (
    listener      text PRIMARY KEY,
    block_number  bigint NOT NULL,
    tx_index      int NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The ledger height the listener last observed, and the highest block it has fully published
-- (every event at or below it acknowledged by the sink). Read by /ready without a ledger call.
CREATE TABLE chain_heights (
    listener           text PRIMARY KEY,
    height             bigint NOT NULL,
    published_through  bigint NOT NULL DEFAULT 0,
    observed_at        timestamptz NOT NULL DEFAULT now()
);

-- One row per chain event the sink acknowledged; pruned below the contiguous projected block.
CREATE TABLE published_events (
    event_id      text PRIMARY KEY,
    block_number  bigint NOT NULL,
    tx_index      int NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX published_events_block_idx ON published_events (block_number);

-- One row per chain event a projector has disposed of (projected or dead-lettered), written in
-- the projector's own transaction; pruned below the contiguous projected block.
CREATE TABLE projected_events (
    event_id      text PRIMARY KEY,
    block_number  bigint NOT NULL,
    projected_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projected_events_block_idx ON projected_events (block_number);
