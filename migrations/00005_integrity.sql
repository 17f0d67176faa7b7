-- +goose Up

-- Layers against stuffing, set per campaign: the fill time under which a
-- response is flagged, and the proof of work every submit must carry
-- (0 = only when a client passes its rate limit).
ALTER TABLE campaigns
    ADD COLUMN min_fill_seconds integer NOT NULL DEFAULT 20 CHECK (min_fill_seconds BETWEEN 0 AND 3600),
    ADD COLUMN pow_bits         integer NOT NULL DEFAULT 0 CHECK (pow_bits BETWEEN 0 AND 22),
    -- The hash chain of admitted responses: its length and head, kept with
    -- the campaign row that every submit locks, and fixed when it closes.
    ADD COLUMN chain_length     bigint NOT NULL DEFAULT 0,
    ADD COLUMN chain_head       bytea,
    ADD COLUMN sealed_length    bigint,
    ADD COLUMN sealed_head      bytea;

ALTER TABLE responses
    ADD COLUMN device_hash bytea,                     -- keyed hash of the device cookie
    ADD COLUMN answer_sig  text NOT NULL DEFAULT '',  -- options in item order, for near-identical bursts
    ADD COLUMN flags       text[] NOT NULL DEFAULT '{}';
CREATE INDEX responses_device ON responses (campaign_id, device_hash);
CREATE INDEX responses_recent ON responses (campaign_id, submitted_at);
CREATE INDEX responses_flagged ON responses (campaign_id) WHERE flags <> '{}';

-- One entry per admitted response. Deliberately no foreign key to
-- responses: a response deleted behind the application's back leaves its
-- entry, and verify names it.
CREATE TABLE chain_entries (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    pos         bigint NOT NULL CHECK (pos > 0),
    response_id bigint NOT NULL,
    hash        bytea NOT NULL,
    PRIMARY KEY (campaign_id, pos)
);
CREATE UNIQUE INDEX chain_entries_response ON chain_entries (response_id);

-- Review decisions on flagged responses: the latest one counts, every one
-- is kept.
CREATE TABLE reviews (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    response_id bigint NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    decision    text NOT NULL CHECK (decision IN ('valid', 'invalid')),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 2 AND 500),
    staff_id    bigint REFERENCES staff (id) ON DELETE SET NULL,
    username    text NOT NULL,
    decided_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reviews_response ON reviews (response_id, id);

-- +goose Down
DROP TABLE reviews, chain_entries;
DROP INDEX responses_device, responses_recent, responses_flagged;
ALTER TABLE responses DROP COLUMN device_hash, DROP COLUMN answer_sig, DROP COLUMN flags;
ALTER TABLE campaigns DROP COLUMN min_fill_seconds, DROP COLUMN pow_bits, DROP COLUMN chain_length,
    DROP COLUMN chain_head, DROP COLUMN sealed_length, DROP COLUMN sealed_head;
