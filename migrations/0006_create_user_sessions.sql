-- Login sessions and rotating refresh tokens (spec/data-model.md §3 UserSession; rules.md §9;
-- gaps.md A17, B4). Only SHA-256 hex digests of refresh tokens are stored, never a token.
--
-- A session lives from login to logout / revocation / expiry and stays ACTIVE while its
-- refresh token rotates; `refresh_token_hash` / `refresh_jti` name its current token. Every
-- token ever issued for it is a row of session_refresh_tokens, so a refresh works as:
--   1. find the presented hash in session_refresh_tokens (unknown -> 401);
--   2. UPDATE ... SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL;
--      no row updated means the token was already rotated: a replay, possibly by a thief, so
--      revoke the whole session (status REVOKED, revoked_reason 'REFRESH_TOKEN_REUSE');
--   3. insert the new token, point the old one's replaced_by at it, and move the session's
--      current hash/jti, all in the same transaction.
-- Step 2 is atomic, so of two concurrent refreshes with the same token exactly one succeeds,
-- and the partial unique index below keeps one unused token per session.

CREATE TABLE user_sessions (
    session_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           text NOT NULL DEFAULT 'default',
    profile_id          uuid NOT NULL REFERENCES user_profiles (profile_id),
    refresh_token_hash  char(64) NOT NULL UNIQUE CHECK (refresh_token_hash ~ '^[0-9a-f]{64}$'),
    refresh_jti         text NOT NULL,
    status              text NOT NULL DEFAULT 'ACTIVE'
                        CHECK (status IN ('ACTIVE', 'ROTATED', 'REVOKED', 'EXPIRED', 'LOGGED_OUT')),
    device_id           text,
    ip_address          inet,
    user_agent          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_used_at        timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL,
    revoked_at          timestamptz,
    revoked_reason      text,
    CONSTRAINT user_sessions_expiry_after_start CHECK (expires_at > created_at),
    CONSTRAINT user_sessions_revocation_recorded
        CHECK (status NOT IN ('REVOKED', 'LOGGED_OUT') OR revoked_at IS NOT NULL)
);
CREATE INDEX user_sessions_profile_idx ON user_sessions (tenant_id, profile_id, status);
CREATE INDEX user_sessions_expires_idx ON user_sessions (expires_at);

CREATE TABLE session_refresh_tokens (
    token_hash   char(64) PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    tenant_id    text NOT NULL DEFAULT 'default',
    session_id   uuid NOT NULL REFERENCES user_sessions (session_id),
    jti          text NOT NULL UNIQUE,
    issued_at    timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,              -- set when rotated; a later presentation is a replay
    -- Checked at commit so the old token can be marked used and linked before the new row exists.
    replaced_by  char(64) REFERENCES session_refresh_tokens (token_hash)
                 DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT session_refresh_tokens_replaced_means_used
        CHECK (replaced_by IS NULL OR used_at IS NOT NULL)
);
CREATE UNIQUE INDEX session_refresh_tokens_one_current
    ON session_refresh_tokens (session_id) WHERE used_at IS NULL;
