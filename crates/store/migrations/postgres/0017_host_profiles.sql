-- A host's profile beside their staff account: real-name verification (live-marketing rules
-- require real-name hosts; the document check is done by a person and recorded here), the
-- categories they sell, and their contract dates.

CREATE TABLE host_profiles (
    account_id        BIGINT PRIMARY KEY REFERENCES accounts (id),
    real_name         TEXT   NOT NULL DEFAULT '',
    verification      TEXT   NOT NULL DEFAULT 'unverified',
    verification_note TEXT   NOT NULL DEFAULT '',
    verified_by       BIGINT REFERENCES accounts (id),
    verified_at       BIGINT,
    categories        TEXT   NOT NULL DEFAULT '[]',
    contract_start    TEXT,
    contract_end      TEXT,
    candidate_id      BIGINT REFERENCES candidates (id),
    updated_at        BIGINT NOT NULL
);
