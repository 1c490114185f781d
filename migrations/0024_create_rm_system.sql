-- On-chain users, system status, chain parameters, treasuries, countries, genesis and
-- relationships. Every mutable row carries the chain position of the event that last set it.

CREATE TABLE rm_chain_users (
    tenant_id        text NOT NULL DEFAULT 'default',
    fabric_user_id   text NOT NULL,
    nationality      text,
    age              int,
    status           text,                  -- Active / Locked / Deceased (NULL until UserCreated)
    trust_score      int,
    registered_at    timestamptz,
    status_block     bigint NOT NULL DEFAULT -1,
    status_tx_index  int NOT NULL DEFAULT -1,
    trust_block      bigint NOT NULL DEFAULT -1,
    trust_tx_index   int NOT NULL DEFAULT -1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, fabric_user_id)
);

CREATE TABLE rm_system_status (
    tenant_id        text PRIMARY KEY DEFAULT 'default',
    status           text NOT NULL CHECK (status IN ('ACTIVE', 'PAUSED')),
    reason           text,
    changed_at       timestamptz NOT NULL,
    bootstrapped_at  timestamptz,
    status_block     bigint NOT NULL,
    status_tx_index  int NOT NULL
);

CREATE TABLE rm_chain_parameters (
    tenant_id     text NOT NULL DEFAULT 'default',
    param_key     text NOT NULL,
    param_value   text NOT NULL,
    updated_at    timestamptz NOT NULL,
    block_number  bigint NOT NULL,
    tx_index      int NOT NULL,
    PRIMARY KEY (tenant_id, param_key)
);

CREATE TABLE rm_treasuries (
    tenant_id        text NOT NULL DEFAULT 'default',
    country_code     text NOT NULL,
    treasury_id      text NOT NULL,
    status           text NOT NULL,
    activated_at     timestamptz,
    status_block     bigint NOT NULL,
    status_tx_index  int NOT NULL,
    PRIMARY KEY (tenant_id, country_code)
);

CREATE TABLE rm_country_stats (
    tenant_id        text NOT NULL DEFAULT 'default',
    country_code     text NOT NULL,
    data             jsonb NOT NULL,
    initialized_at   timestamptz NOT NULL,
    status_block     bigint NOT NULL,
    status_tx_index  int NOT NULL,
    PRIMARY KEY (tenant_id, country_code)
);

-- One row per user: genesis is paid once (phase 0 / amount 0 marks "done, nothing paid").
CREATE TABLE rm_genesis_distributions (
    tenant_id     text NOT NULL DEFAULT 'default',
    user_id       text NOT NULL,
    amount        bigint NOT NULL,
    phase         int NOT NULL,
    eligible      boolean NOT NULL,
    nationality   text,
    age           int,
    tx_id         text NOT NULL,
    block_number  bigint NOT NULL,
    occurred_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX rm_genesis_country_idx ON rm_genesis_distributions (tenant_id, nationality, phase);

CREATE TABLE rm_treasury_allocations (
    tenant_id     text NOT NULL DEFAULT 'default',
    tx_id         text NOT NULL,
    treasury_id   text NOT NULL,
    country_code  text NOT NULL,
    amount        bigint NOT NULL,
    phase         int NOT NULL,
    block_number  bigint NOT NULL,
    occurred_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, tx_id)
);

CREATE TABLE rm_relationships (
    tenant_id        text NOT NULL DEFAULT 'default',
    relationship_id  text NOT NULL,
    subject_id       text NOT NULL,
    object_id        text NOT NULL,
    type             text NOT NULL,
    status           text NOT NULL,
    requested_at     timestamptz,
    confirmed_at     timestamptz,
    status_block     bigint NOT NULL,
    status_tx_index  int NOT NULL,
    PRIMARY KEY (tenant_id, relationship_id)
);
