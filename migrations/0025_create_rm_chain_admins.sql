-- Admins appointed on chain (AdminAppointed). The backend's own ADMIN role is granted off-chain
-- (commands.md, APPOINT_ADMIN), so this is a record of the chain's view, not an authorisation.
CREATE TABLE rm_chain_admins (
    tenant_id     text NOT NULL DEFAULT 'default',
    admin_id      text NOT NULL,
    tx_id         text NOT NULL,
    block_number  bigint NOT NULL,
    appointed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, admin_id)
);
