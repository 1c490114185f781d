-- The audit trail becomes an append-only, gap-free hash chain (shared/audit.py).
--
-- `seq` is the chain order: 1, 2, 3 ... with no gaps, assigned by the writer under the chain's
-- advisory lock (a rolled-back record gives its number back), so a missing row shows as a gap.
-- `hash_version` says what a row's `event_hash` covers: 1 = rows written before this migration
-- (content only: no audit_id, created_at or tenant); 2 = every column but the hash itself.
-- Existing rows keep their version-1 hashes: rewriting them would be the very edit the chain
-- exists to expose. They are numbered in the order they were chained (created_at, audit_id).
ALTER TABLE audit_log
    ADD COLUMN seq bigint,
    ADD COLUMN hash_version smallint NOT NULL DEFAULT 1;

UPDATE audit_log a SET seq = o.n
FROM (SELECT audit_id, row_number() OVER (ORDER BY created_at, audit_id) AS n FROM audit_log) o
WHERE a.audit_id = o.audit_id;

ALTER TABLE audit_log
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN hash_version DROP DEFAULT,   -- every writer states the version it hashed
    ALTER COLUMN created_at DROP DEFAULT,     -- the writer sets it: it is part of the hash
    ADD CONSTRAINT audit_log_seq_positive CHECK (seq > 0),
    ADD CONSTRAINT audit_log_hash_version_known CHECK (hash_version IN (1, 2)),
    ADD CONSTRAINT audit_log_seq_key UNIQUE (seq);

-- Append-only for everyone who cannot switch triggers off (only the table's owner or a superuser
-- can, and that leaves the chain to catch the edit): no UPDATE, DELETE or TRUNCATE. Privileges
-- alone would not do: the application's role usually owns its tables.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
