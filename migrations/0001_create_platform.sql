-- Cross-cutting tables every service uses: the audit trail, processed-event tracking for
-- idempotent consumers, and the dead-letter table for events that could not be delivered.
-- Migration number ranges: 0001-0009 platform and reference data, 0010-0019 write path,
-- 0020-0029 read models, 0030-0039 dev runtime, 0040+ service-owned tables.

CREATE TABLE audit_log (
    audit_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       text NOT NULL DEFAULT 'default',
    event_type      text NOT NULL,               -- e.g. KYC_APPROVED, SYSTEM_PAUSE_REQUESTED
    actor_id        text,                        -- profile id of who acted (NULL = system)
    actor_role      text,
    target_type     text,                        -- USER, KYC, COMMAND, PARAMETER, ...
    target_id       text,
    previous_value  jsonb,
    new_value       jsonb,
    metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,   -- request id, ip, user agent, command id
    event_hash      text NOT NULL,               -- sha256 over the row's content, chained (tamper evidence)
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_actor_idx  ON audit_log (tenant_id, actor_id, created_at);
CREATE INDEX audit_log_target_idx ON audit_log (tenant_id, target_type, target_id, created_at);
CREATE INDEX audit_log_type_idx   ON audit_log (tenant_id, event_type, created_at);

-- One row per (consumer, CloudEvent id) handled: inserted in the same transaction as the
-- consumer's side effect, so a redelivered event is acknowledged and ignored.
CREATE TABLE processed_events (
    consumer      text NOT NULL,
    event_id      text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Events that could not be delivered or projected: a broker delivery that kept failing, a chain
-- event that failed schema validation, a projection that failed permanently. Never silently lost.
CREATE TABLE event_dead_letters (
    id            bigserial PRIMARY KEY,
    tenant_id     text NOT NULL DEFAULT 'default',
    source        text NOT NULL,               -- broker | chain-listener | projector
    subscriber    text,                        -- the function the event was meant for
    event_id      text,
    event_type    text,
    reason        text NOT NULL,
    attempts      int NOT NULL DEFAULT 0,
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    payload       jsonb,
    raw_body      bytea,
    block_number  bigint,
    tx_id         text,
    status        text NOT NULL DEFAULT 'DEAD' CHECK (status IN ('DEAD', 'REPLAYED')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    replayed_at   timestamptz,
    replayed_by   text
);
CREATE INDEX event_dead_letters_open_idx ON event_dead_letters (tenant_id, status, created_at);
