-- +goose Up

-- A submitted round's package, frozen: its signed manifest, the place of
-- the leaf recording it in the linked survey's sample log, and its files
-- by SHA-256 (the documents made at submission are kept as blobs beside
-- the evidence files).
ALTER TABLE submissions ADD COLUMN manifest text, ADD COLUMN log_campaign bigint, ADD COLUMN log_pos bigint;

CREATE TABLE package_files (
    submission_id bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    path          text NOT NULL,
    sha256        bytea NOT NULL REFERENCES evidence_blobs (sha256),
    PRIMARY KEY (submission_id, path)
);

-- +goose Down
DROP TABLE package_files;
ALTER TABLE submissions DROP COLUMN manifest, DROP COLUMN log_campaign, DROP COLUMN log_pos;
