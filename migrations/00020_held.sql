-- +goose Up

-- A response flagged when it arrives is held (status 'held'): stored and
-- in the sample log, but counted nowhere and holding no quota place until
-- a reviewer admits it (then it takes a place, or is over quota when its
-- cell is full) or judges it invalid. So a stuffer cannot crowd out honest
-- parents under the cap policy. The outcome a decision gave a held
-- response is kept with the decision, and is part of its log leaf.
ALTER TABLE responses DROP CONSTRAINT responses_status_check;
ALTER TABLE responses ADD CONSTRAINT responses_status_check
    CHECK (status IN ('admitted', 'over_quota', 'invalidated', 'held'));
ALTER TABLE reviews ADD COLUMN outcome text NOT NULL DEFAULT ''
    CHECK (outcome IN ('', 'admitted', 'over_quota', 'invalidated'));

-- +goose Down
ALTER TABLE reviews DROP COLUMN outcome;
UPDATE responses SET status = 'over_quota' WHERE status = 'held';
ALTER TABLE responses DROP CONSTRAINT responses_status_check;
ALTER TABLE responses ADD CONSTRAINT responses_status_check
    CHECK (status IN ('admitted', 'over_quota', 'invalidated'));
