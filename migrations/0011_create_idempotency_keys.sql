-- HTTP idempotency for command endpoints (Idempotency-Key / X-Idempotency-Key).
-- Keyed by tenant, principal and key (the Nov-17 table left the key out, gaps.md B23); the method,
-- route and body hash detect a key re-used for another request (422). A row is IN_PROGRESS while
-- its first request runs (a concurrent duplicate gets 409) with a lease, so a crashed request
-- does not block its key forever; COMPLETED rows replay the stored response for 24 hours.

CREATE TABLE idempotency_keys (
    tenant_id         text NOT NULL,
    principal_id      text NOT NULL,
    idempotency_key   text NOT NULL,
    method            text NOT NULL,
    route             text NOT NULL,
    request_hash      text NOT NULL,
    state             text NOT NULL CHECK (state IN ('IN_PROGRESS', 'COMPLETED')),
    lock_token        uuid,
    locked_until      timestamptz,
    response_status   int,
    response_body     bytea,
    response_headers  jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz,
    expires_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, principal_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);
