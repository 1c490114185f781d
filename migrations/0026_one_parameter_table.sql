-- One parameter table. `rm_chain_parameters` (the chain's values, by chain position) and
-- `system_parameters` (the seeded catalogue, which the projector mirrored the chain into) held
-- the same facts twice; now `system_parameters` alone holds them: a row is the seeded default
-- (source 'seed') until the chain sets the parameter, then the chain's value (source 'chain')
-- with the chain position that set it, so an older event never overwrites a newer one.

ALTER TABLE system_parameters
    -- With updated_in_block, the chain position that set the value (0 for the old mirror's rows).
    ADD COLUMN chain_tx_index   int NOT NULL DEFAULT 0 CHECK (chain_tx_index >= 0),
    ADD COLUMN chain_updated_at timestamptz;

-- What the chain says wins over what the seed or the old mirror wrote.
INSERT INTO system_parameters AS sp
    (tenant_id, param_key, param_value, source, updated_in_block, chain_tx_index, chain_updated_at)
SELECT tenant_id, param_key, param_value, 'chain', block_number, tx_index, updated_at
FROM rm_chain_parameters
ON CONFLICT (tenant_id, param_key) DO UPDATE
SET param_value = EXCLUDED.param_value, source = 'chain',
    updated_in_block = EXCLUDED.updated_in_block, chain_tx_index = EXCLUDED.chain_tx_index,
    chain_updated_at = EXCLUDED.chain_updated_at;

DROP TABLE rm_chain_parameters;
