-- +goose Up

-- Everything that moves a campaign's result is a leaf of its sample log
-- (survey/logstate.go): besides admissions and review decisions, the
-- flags raised after admission, its opening with the settings it froze,
-- every later change of a verdict-deciding setting, its closing and
-- reopening, and the result statements computed from the log. Such a leaf
-- keeps its canonical body here (the leaf hash is over it), so verify can
-- read what it says; event_id names the campaign event it records.
ALTER TABLE log_leaves ALTER COLUMN response_id DROP NOT NULL,
    ADD COLUMN kind text,      -- NULL for a response or decision leaf
    ADD COLUMN body bytea,     -- the canonical body of any other leaf
    ADD COLUMN event_id bigint;
CREATE INDEX log_leaves_kind ON log_leaves (campaign_id, kind, idx) WHERE kind IS NOT NULL;

-- log_version 3: flags, events and result statements are in the log. A
-- campaign of version 2 is brought to 3 when the server starts, by a
-- leaf recording its flags and settings as they stand then
-- (survey.Store.UpgradeLogs).
ALTER TABLE campaigns ALTER COLUMN log_version SET DEFAULT 3;

-- +goose Down
UPDATE campaigns SET log_version = 2 WHERE log_version = 3;
ALTER TABLE campaigns ALTER COLUMN log_version SET DEFAULT 2;
DELETE FROM log_leaves WHERE kind IS NOT NULL;
DROP INDEX log_leaves_kind;
ALTER TABLE log_leaves DROP COLUMN kind, DROP COLUMN body, DROP COLUMN event_id,
    ALTER COLUMN response_id SET NOT NULL;
