-- +goose Up

-- The sample chain becomes a Merkle-tree log per campaign (RFC 6962
-- hashing), with signed checkpoints that witnesses outside the bureau keep
-- and cosign. See survey/log.go.
ALTER TABLE campaigns RENAME COLUMN chain_length TO log_size;
ALTER TABLE campaigns RENAME COLUMN chain_head TO log_root;
ALTER TABLE campaigns RENAME COLUMN sealed_length TO sealed_size;
ALTER TABLE campaigns RENAME COLUMN sealed_head TO sealed_root;
-- The right edge of the tree (a compact range over [0, log_size)): enough
-- to append leaves and compute the new root inside a group commit without
-- reading earlier leaves. log_version 1 marks a campaign whose admitted
-- responses are still in the old linear chain; the server rebuilds its log
-- when it starts (survey.Store.UpgradeLogs).
ALTER TABLE campaigns
    ADD COLUMN log_frontier bytea[] NOT NULL DEFAULT '{}',
    ADD COLUMN log_version  smallint NOT NULL DEFAULT 2;
UPDATE campaigns SET log_version = 1 WHERE log_size > 0;

-- One leaf per admitted response and per review decision, in order.
-- Deliberately no foreign keys to responses or reviews: a row deleted
-- behind the application's back leaves its leaf, and verify names it.
CREATE TABLE log_leaves (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    idx         bigint NOT NULL CHECK (idx >= 0),
    response_id bigint NOT NULL,
    review_id   bigint,          -- set on a decision leaf
    hash        bytea NOT NULL,  -- RFC 6962 leaf hash of the canonical form
    PRIMARY KEY (campaign_id, idx)
);
CREATE INDEX log_leaves_response ON log_leaves (response_id, idx);

-- Every checkpoint the log signed: one per group commit that grew it, and
-- one per review decision. The note is the C2SP signed note, as served.
CREATE TABLE log_checkpoints (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    size        bigint NOT NULL CHECK (size > 0),
    root        bytea NOT NULL,
    note        text NOT NULL,
    signed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, size)
);

-- Checkpoints that witnesses cosigned and sent back: the note with the
-- log's signature and the witness's cosignature.
CREATE TABLE log_cosignatures (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    size        bigint NOT NULL,
    witness     text NOT NULL,   -- the witness's key name
    note        text NOT NULL,
    cosigned_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, witness, size)
);

-- The upgrade from the linear chain is recorded as a campaign event.
ALTER TABLE campaign_events DROP CONSTRAINT campaign_events_action_check,
    ADD CONSTRAINT campaign_events_action_check CHECK (action IN ('close', 'reopen', 'log_upgrade'));

-- +goose Down
DELETE FROM campaign_events WHERE action = 'log_upgrade';
ALTER TABLE campaign_events DROP CONSTRAINT campaign_events_action_check,
    ADD CONSTRAINT campaign_events_action_check CHECK (action IN ('close', 'reopen'));
DROP TABLE log_cosignatures, log_checkpoints, log_leaves;
ALTER TABLE campaigns DROP COLUMN log_frontier, DROP COLUMN log_version;
ALTER TABLE campaigns RENAME COLUMN log_size TO chain_length;
ALTER TABLE campaigns RENAME COLUMN log_root TO chain_head;
ALTER TABLE campaigns RENAME COLUMN sealed_size TO sealed_length;
ALTER TABLE campaigns RENAME COLUMN sealed_root TO sealed_head;
