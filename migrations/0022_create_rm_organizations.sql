-- Organizations and their multi-signature transactions, in the chain's own status vocabulary
-- (PendingEndorsement/Verified/Locked; Pending/Executed/ExecutionFailed). Every status column is
-- guarded by the chain position (status_block, status_tx_index) of the event that set it.

CREATE TABLE rm_organizations (
    tenant_id        text NOT NULL DEFAULT 'default',
    org_id           text NOT NULL,
    org_name         text,
    org_type         text,
    country          text,
    status           text,
    stakeholders     jsonb,                 -- NULL until OrganizationProposed is projected
    auth_rules       jsonb NOT NULL DEFAULT '{}'::jsonb,   -- {"<ruleIndex>": rule}: order-free merge
    created_at       timestamptz,
    activated_at     timestamptz,
    status_block     bigint NOT NULL DEFAULT -1,
    status_tx_index  int NOT NULL DEFAULT -1,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, org_id)
);

CREATE TABLE rm_org_endorsements (
    tenant_id    text NOT NULL DEFAULT 'default',
    org_id       text NOT NULL,
    user_id      text NOT NULL,
    tx_id        text NOT NULL,
    endorsed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, org_id, user_id)
);

CREATE TABLE rm_multisig_transactions (
    tenant_id        text NOT NULL DEFAULT 'default',
    pending_tx_id    text NOT NULL,
    org_id           text NOT NULL,
    to_id            text,
    amount           bigint,                 -- Qirat
    remark           text,
    initiator_id     text,
    required_approvals int,
    approver_group   jsonb,
    status           text NOT NULL,
    error            text,
    initiated_at     timestamptz,
    executed_at      timestamptz,
    status_block     bigint NOT NULL,
    status_tx_index  int NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, pending_tx_id)
);
CREATE INDEX rm_multisig_transactions_org_idx ON rm_multisig_transactions (tenant_id, org_id, status);

-- Approvals as rows, so the count is the same however often or in whatever order they arrive.
-- Several events report the same approval (each carries the list so far): the row keeps the
-- earliest chain position that reported it, whatever the delivery order.
CREATE TABLE rm_multisig_approvals (
    tenant_id      text NOT NULL DEFAULT 'default',
    pending_tx_id  text NOT NULL,
    approver_id    text NOT NULL,
    tx_id          text NOT NULL,
    approved_at    timestamptz NOT NULL,
    block_number   bigint NOT NULL,
    tx_index       int NOT NULL,
    PRIMARY KEY (tenant_id, pending_tx_id, approver_id)
);
