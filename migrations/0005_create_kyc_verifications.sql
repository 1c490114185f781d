-- KYC (spec/data-model.md §3 KYCVerification and KYCDocument, rules.md §7.3).
-- A submission carries the evidence's SHA-256, size and MIME type, checked here as well as at the
-- boundary. At most one PENDING-or-APPROVED record per profile: a second submission is refused
-- while one is under review or approved (gaps.md B20), even by two racing requests. History is
-- kept: profile and KYC rows are never deleted by cascade.

CREATE TABLE kyc_verifications (
    kyc_id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id            text NOT NULL DEFAULT 'default',
    profile_id           uuid NOT NULL REFERENCES user_profiles (profile_id),
    status               text NOT NULL DEFAULT 'PENDING'
                         CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED')),
    evidence_hash        char(64) NOT NULL CHECK (evidence_hash ~ '^[0-9a-f]{64}$'),
    evidence_size        int NOT NULL CHECK (evidence_size BETWEEN 1 AND 10485760),
    evidence_mime        text NOT NULL
                         CHECK (evidence_mime IN ('image/jpeg', 'image/png', 'application/pdf')),
    document_object_key  text,                    -- S3 key of the stored evidence
    verified_at          timestamptz,
    verifier_id          uuid REFERENCES user_profiles (profile_id),   -- the reviewing admin
    verifier_notes       text,
    rejection_reason     text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    -- A decision always records who took it and when; a rejection always says why.
    CONSTRAINT kyc_verifications_decision_recorded
        CHECK (status IN ('PENDING', 'EXPIRED') OR (verifier_id IS NOT NULL AND verified_at IS NOT NULL)),
    CONSTRAINT kyc_verifications_rejection_has_reason
        CHECK (status <> 'REJECTED' OR (rejection_reason IS NOT NULL AND length(rejection_reason) > 0))
);

CREATE UNIQUE INDEX kyc_verifications_one_open_per_profile
    ON kyc_verifications (profile_id) WHERE status IN ('PENDING', 'APPROVED');
CREATE INDEX kyc_verifications_profile_idx ON kyc_verifications (tenant_id, profile_id, created_at);
CREATE INDEX kyc_verifications_status_idx  ON kyc_verifications (tenant_id, status, created_at);

CREATE TRIGGER kyc_verifications_touch_updated_at BEFORE UPDATE ON kyc_verifications
    FOR EACH ROW EXECUTE FUNCTION gx_touch_updated_at();

-- rules.md §7.3: PENDING -> APPROVED | REJECTED, APPROVED -> EXPIRED; nothing else.
CREATE FUNCTION gx_check_kyc_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status
       OR (OLD.status = 'PENDING' AND NEW.status IN ('APPROVED', 'REJECTED'))
       OR (OLD.status = 'APPROVED' AND NEW.status = 'EXPIRED') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'KYC status transition % -> % is not allowed', OLD.status, NEW.status
        USING ERRCODE = 'check_violation', CONSTRAINT = 'kyc_verifications_status_transition',
              TABLE = 'kyc_verifications';
END;
$$;

CREATE TRIGGER kyc_verifications_status_transition BEFORE UPDATE OF status ON kyc_verifications
    FOR EACH ROW EXECUTE FUNCTION gx_check_kyc_status_transition();

-- The individual files behind a verification (trimmed to what the API uses).
CREATE TABLE kyc_documents (
    document_id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      text NOT NULL DEFAULT 'default',
    kyc_id         uuid NOT NULL REFERENCES kyc_verifications (kyc_id),
    document_type  text NOT NULL CHECK (document_type IN
                       ('NATIONAL_ID', 'PASSPORT', 'DRIVERS_LICENSE', 'PROOF_OF_ADDRESS',
                        'DEATH_CERTIFICATE', 'DIVORCE_CERTIFICATE', 'BUSINESS_REGISTRATION',
                        'TAX_REGISTRATION', 'BANK_STATEMENT', 'UTILITY_BILL', 'SELFIE_PHOTO', 'OTHER')),
    storage_key    text NOT NULL,             -- S3 object key
    file_hash      char(64) NOT NULL CHECK (file_hash ~ '^[0-9a-f]{64}$'),
    file_size      int NOT NULL CHECK (file_size BETWEEN 1 AND 10485760),
    mime_type      text NOT NULL CHECK (mime_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    verified_at    timestamptz,
    verified_by    uuid REFERENCES user_profiles (profile_id)
);
CREATE INDEX kyc_documents_kyc_idx  ON kyc_documents (tenant_id, kyc_id);
CREATE INDEX kyc_documents_hash_idx ON kyc_documents (file_hash);
