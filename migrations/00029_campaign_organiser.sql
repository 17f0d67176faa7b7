-- +goose Up
-- The region (six-digit division code; 000000 the whole country) whose
-- staff set a campaign up for its units: posters and pages name that
-- region's bureau as the organiser (主办). Empty: the unit's own bureau.
ALTER TABLE campaigns ADD COLUMN organiser text NOT NULL DEFAULT '' CHECK (organiser ~ '^([0-9]{6})?$');

-- +goose Down
ALTER TABLE campaigns DROP COLUMN organiser;
