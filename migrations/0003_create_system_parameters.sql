-- System parameters (spec/data-model.md §8, rules.md §13.2): every value is a string, parsed by
-- whoever reads it. Rows come from two writers:
--   * `gx seed` inserts the catalogue defaults (shared.domain.parameters) for missing keys only
--     (source = 'seed'), so a production value is never overwritten;
--   * the projector mirrors the chain (SystemParameterUpdated, SYSTEM_STATUS, COUNTRY_<CC>_...)
--     with source = 'chain' and the block it came from in updated_in_block, so an event older
--     than the stored value is ignored (events may arrive out of order).

CREATE TABLE system_parameters (
    tenant_id         text NOT NULL DEFAULT 'default',
    param_key         text NOT NULL CHECK (length(param_key) BETWEEN 1 AND 128),
    param_value       text NOT NULL,
    description       text,
    value_type        text,               -- as declared by the catalogue (e.g. integer, boolean)
    source            text NOT NULL DEFAULT 'seed' CHECK (source IN ('seed', 'chain')),
    updated_in_block  bigint CHECK (updated_in_block >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, param_key),
    -- A chain-sourced value always records its block, or staleness could not be decided.
    CONSTRAINT system_parameters_chain_has_block
        CHECK (source <> 'chain' OR updated_in_block IS NOT NULL)
);

CREATE TRIGGER system_parameters_touch_updated_at BEFORE UPDATE ON system_parameters
    FOR EACH ROW EXECUTE FUNCTION gx_touch_updated_at();
