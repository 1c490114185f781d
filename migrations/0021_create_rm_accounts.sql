-- Balances and transaction history, keyed by chain account id (users' fabric ids, org ids,
-- treasury_<CC>, SYSTEM_* pools). Balances only ever change by commutative increments, so the
-- result is the same for any delivery order; flags and timers carry the chain position of the
-- event that set them and ignore older events.

CREATE TABLE rm_accounts (
    tenant_id            text NOT NULL DEFAULT 'default',
    account_id           text NOT NULL,
    owner_type           text NOT NULL DEFAULT 'USER'
                         CHECK (owner_type IN ('USER', 'ORG', 'TREASURY', 'SYSTEM')),
    balance              bigint NOT NULL DEFAULT 0,     -- Qirat
    frozen               boolean NOT NULL DEFAULT false,
    frozen_reason        text,
    frozen_block         bigint,
    frozen_tx_index      int,
    velocity_timer_start date,
    velocity_last_tax_at timestamptz,
    velocity_block       bigint,
    velocity_tx_index    int,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, account_id)
);

-- One row per (transaction, account, entry kind): a transfer writes SENT for the sender,
-- RECEIVED for the receiver and FEE for the fee collector. `amount` is what the account's
-- balance moved by (signed), `fee` the fee share this account paid.
CREATE TABLE rm_account_entries (
    entry_id      bigserial PRIMARY KEY,
    tenant_id     text NOT NULL DEFAULT 'default',
    tx_id         text NOT NULL,
    account_id    text NOT NULL,
    kind          text NOT NULL,
    counterparty  text,
    amount        bigint NOT NULL,
    fee           bigint NOT NULL DEFAULT 0,
    remark        text,
    block_number  bigint NOT NULL,
    tx_index      int NOT NULL,
    occurred_at   timestamptz NOT NULL,
    UNIQUE (tenant_id, tx_id, account_id, kind)
);
CREATE INDEX rm_account_entries_page_idx
    ON rm_account_entries (tenant_id, account_id, block_number, tx_index, entry_id);
