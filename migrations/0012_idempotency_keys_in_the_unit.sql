-- The stored reply is now written in the same transaction as the command it answers
-- (shared/idempotency.py): a key is either absent or COMPLETED, never reserved. A row left
-- IN_PROGRESS by the earlier two-phase protocol belonged to a request that never finished.
DELETE FROM idempotency_keys WHERE state = 'IN_PROGRESS';
ALTER TABLE idempotency_keys
    DROP COLUMN state,
    DROP COLUMN lock_token,
    DROP COLUMN locked_until,
    DROP COLUMN completed_at,
    ALTER COLUMN response_status SET NOT NULL,
    ALTER COLUMN response_body SET NOT NULL,
    ALTER COLUMN response_headers SET NOT NULL;
