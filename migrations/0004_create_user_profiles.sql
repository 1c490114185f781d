-- User profiles (spec/data-model.md §3 UserProfile, with its "Required" corrections):
--   * `role` for RBAC, carried into the JWT (gaps.md B1);
--   * the status machine of rules.md §7.1, enforced by a trigger as a backstop to the domain
--     rules, so no code path can skip a step (for example approve straight to ACTIVE, D11);
--   * `onchain_status` mirroring the chain user (Active -> ACTIVE, Locked -> LOCKED);
--   * a 64-hex SHA-256 biometric hash as the chain requires (gaps.md B11);
--   * a case-insensitive unique email (look users up with `lower(email) = lower(%s)`);
--   * soft delete only: nothing references a profile with ON DELETE CASCADE (gaps.md B30).
-- email and password_hash are nullable because PARTNER_API principals have no user login.

CREATE TABLE user_profiles (
    profile_id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id                 text NOT NULL DEFAULT 'default',
    email                     text CHECK (email ~ '^[^\s@]+@[^\s@]+\.[^\s@]+$'),
    password_hash             text,
    first_name                text NOT NULL,
    last_name                 text NOT NULL,
    phone_num                 text UNIQUE,
    identity_num              text,
    date_of_birth             date CHECK (date_of_birth BETWEEN DATE '1900-01-01' AND DATE '4000-01-01'),
    gender                    text CHECK (gender IN ('male', 'female', 'system')),
    nationality_country_code  char(2) REFERENCES countries (country_code),
    role                      text NOT NULL DEFAULT 'USER'
                              CHECK (role IN ('USER', 'ADMIN', 'SUPER_ADMIN', 'PARTNER_API')),
    status                    text NOT NULL DEFAULT 'REGISTERED'
                              CHECK (status IN ('REGISTERED', 'PENDING_ADMIN_APPROVAL',
                                                'APPROVED_PENDING_ONCHAIN', 'DENIED', 'ACTIVE',
                                                'FROZEN', 'SUSPENDED', 'CLOSED')),
    fabric_user_id            text UNIQUE,
    biometric_hash            char(64) UNIQUE CHECK (biometric_hash ~ '^[0-9a-f]{64}$'),
    onchain_status            text NOT NULL DEFAULT 'NOT_REGISTERED'
                              CHECK (onchain_status IN ('NOT_REGISTERED', 'PENDING', 'ACTIVE', 'LOCKED')),
    onchain_registered_at     timestamptz,
    failed_login_count        int NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    locked_until              timestamptz,          -- login lockout after repeated failures
    denial_reason             text,
    deleted_at                timestamptz,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    -- rules.md §7.1: an admin denial always carries its reason.
    CONSTRAINT user_profiles_denied_has_reason
        CHECK (status <> 'DENIED' OR (denial_reason IS NOT NULL AND length(denial_reason) > 0))
);

CREATE UNIQUE INDEX user_profiles_email_lower_key ON user_profiles (lower(email));
CREATE INDEX user_profiles_status_idx      ON user_profiles (tenant_id, status);
CREATE INDEX user_profiles_deleted_idx     ON user_profiles (tenant_id, deleted_at);
CREATE INDEX user_profiles_nationality_idx ON user_profiles (tenant_id, nationality_country_code);
CREATE INDEX user_profiles_created_idx     ON user_profiles (tenant_id, created_at);

CREATE TRIGGER user_profiles_touch_updated_at BEFORE UPDATE ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION gx_touch_updated_at();

-- The transitions of rules.md §7.1. A row may be created in any status (an administrator is
-- provisioned ACTIVE, a profile projected from the chain arrives ACTIVE); every later change of
-- status must be one of these. SUSPENDED is reversible to the status the admin restores, CLOSED
-- is terminal.
CREATE FUNCTION gx_check_user_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF OLD.status = 'CLOSED'
       OR NOT (
            NEW.status = 'CLOSED'
         OR NEW.status = 'SUSPENDED'
         OR OLD.status = 'SUSPENDED'
         OR (OLD.status IN ('REGISTERED', 'DENIED') AND NEW.status = 'PENDING_ADMIN_APPROVAL')
         OR (OLD.status = 'PENDING_ADMIN_APPROVAL'
             AND NEW.status IN ('APPROVED_PENDING_ONCHAIN', 'DENIED'))
         OR (OLD.status = 'APPROVED_PENDING_ONCHAIN' AND NEW.status = 'ACTIVE')
         OR (OLD.status = 'ACTIVE' AND NEW.status = 'FROZEN')
         OR (OLD.status = 'FROZEN' AND NEW.status = 'ACTIVE')
       ) THEN
        RAISE EXCEPTION 'user status transition % -> % is not allowed', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'user_profiles_status_transition',
                  TABLE = 'user_profiles';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER user_profiles_status_transition BEFORE UPDATE OF status ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION gx_check_user_status_transition();
