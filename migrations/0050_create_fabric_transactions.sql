-- The Fabric adapter's record of each port transaction id (the outbox's deterministic id):
-- the nonce that fixes its Fabric tx id (SHA-256(nonce || creator)), so a resubmission after an
-- unknown outcome reuses it and Fabric itself rejects the duplicate, and how far it got.
CREATE TABLE IF NOT EXISTS fabric_transactions (
    tx_id         text PRIMARY KEY,
    nonce         bytea NOT NULL,
    creator_hash  text NOT NULL,
    fabric_tx_id  text NOT NULL UNIQUE,
    state         text NOT NULL DEFAULT 'PREPARED'
                  CHECK (state IN ('PREPARED', 'SUBMITTED', 'COMMITTED')),
    block_number  bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
