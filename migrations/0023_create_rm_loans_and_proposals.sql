-- Loans and governance proposals, in the chain's status vocabulary (PendingApproval/Active/
-- Paid/Defaulted; Active/Executed/Failed/FailedExecution), guarded by chain position.

CREATE TABLE rm_loans (
    tenant_id        text NOT NULL DEFAULT 'default',
    loan_id          text NOT NULL,
    borrower_id      text,
    amount           bigint,                 -- Qirat
    collateral_hash  text,
    status           text NOT NULL,
    applied_at       timestamptz,
    approved_at      timestamptz,
    approved_by      text,
    closed_at        timestamptz,
    status_block     bigint NOT NULL,
    status_tx_index  int NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, loan_id)
);
CREATE INDEX rm_loans_borrower_idx ON rm_loans (tenant_id, borrower_id, applied_at);

CREATE TABLE rm_proposals (
    tenant_id        text NOT NULL DEFAULT 'default',
    proposal_id      text NOT NULL,
    target_param     text,
    new_value        text,
    proposer_id      text,
    status           text NOT NULL,
    end_time         timestamptz,
    error            text,
    submitted_at     timestamptz,
    executed_at      timestamptz,
    status_block     bigint NOT NULL,
    status_tx_index  int NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, proposal_id)
);
CREATE INDEX rm_proposals_status_idx ON rm_proposals (tenant_id, status, submitted_at);

-- One vote per voter: the tallies are counts over these rows, so a replay never double-counts.
CREATE TABLE rm_proposal_votes (
    tenant_id    text NOT NULL DEFAULT 'default',
    proposal_id  text NOT NULL,
    voter_id     text NOT NULL,
    support      boolean NOT NULL,
    tx_id        text NOT NULL,
    voted_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, proposal_id, voter_id)
);
