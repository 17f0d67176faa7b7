-- +goose Up

-- How long a rendered form may be submitted: a token older than this gets
-- a fresh form with the answers kept. 36 hours lets a parent who opened
-- the link in the evening finish it the next morning.
ALTER TABLE campaigns ADD COLUMN token_hours integer NOT NULL DEFAULT 36 CHECK (token_hours BETWEEN 1 AND 720);

-- +goose Down
ALTER TABLE campaigns DROP COLUMN token_hours;
