-- An operator's hold on ledger submission (ledger maintenance, an incident): while the row
-- exists, command endpoints still accept and queue commands, but no submitter claims any.
-- One switch per database (the submitter drains the whole outbox).
CREATE TABLE outbox_hold (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    reason     text NOT NULL,
    held_by    text NOT NULL,
    held_at    timestamptz NOT NULL DEFAULT now()
);
